package dev.rillet.state;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.util.Random;
import java.util.stream.LongStream;
import org.apache.flink.core.memory.DataInputDeserializer;
import org.apache.flink.core.memory.DataOutputSerializer;
import org.junit.jupiter.api.Test;

class VarIntsTest {
  /** Edges of every byte count, both signs, and random longs of every bit length. */
  private static long[] values() {
    Random random = new Random(18);
    LongStream edges =
        LongStream.range(0, 64)
            .flatMap(b -> LongStream.of(1L << b, (1L << b) - 1, -(1L << b), -(1L << b) + 1));
    LongStream randoms = LongStream.range(0, 640).map(i -> random.nextLong() >> (i % 64));
    return LongStream.concat(
            LongStream.of(0, -1, 1, Long.MIN_VALUE, Long.MAX_VALUE),
            LongStream.concat(edges, randoms))
        .toArray();
  }

  @Test
  void everyLongRoundTripsInTheSizeItsSizeFunctionSays() throws IOException {
    for (long v : values()) {
      DataOutputSerializer out = new DataOutputSerializer(32);
      VarInts.writeVarLong(out, v);
      int plain = out.length();
      VarInts.writeZigZag(out, v);
      assertThat(plain).as("varint of %d", v).isEqualTo(VarInts.size(v));
      assertThat(out.length() - plain).as("zigzag of %d", v).isEqualTo(VarInts.zigZagSize(v));

      DataInputDeserializer in = new DataInputDeserializer(out.getCopyOfBuffer());
      assertThat(VarInts.readVarLong(in)).isEqualTo(v);
      assertThat(VarInts.readZigZag(in)).isEqualTo(v);
      assertThat(in.available()).isZero();
    }
  }

  @Test
  void writesLeb128GroupsAndZigzagInterleavesTheSigns() throws IOException {
    assertThat(bytes(false, 0)).containsExactly(0);
    assertThat(bytes(false, 127)).containsExactly(0x7F);
    assertThat(bytes(false, 128)).containsExactly(0x80, 0x01);
    assertThat(bytes(false, 300)).containsExactly(0xAC, 0x02);
    assertThat(bytes(false, -1)).hasSize(10);
    assertThat(bytes(true, 0)).containsExactly(0);
    assertThat(bytes(true, -1)).containsExactly(1);
    assertThat(bytes(true, 1)).containsExactly(2);
    assertThat(bytes(true, -64)).containsExactly(127);
    assertThat(bytes(true, 64)).containsExactly(0x80, 0x01);
    assertThat(bytes(true, Long.MIN_VALUE)).hasSize(10);
  }

  @Test
  void aVarintLongerThanTenBytesIsRefused() {
    byte[] eleven = new byte[11];
    java.util.Arrays.fill(eleven, (byte) 0x80);
    assertThatThrownBy(() -> VarInts.readVarLong(new DataInputDeserializer(eleven)))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("malformed varint");
  }

  private static int[] bytes(boolean zigzag, long v) throws IOException {
    DataOutputSerializer out = new DataOutputSerializer(16);
    if (zigzag) {
      VarInts.writeZigZag(out, v);
    } else {
      VarInts.writeVarLong(out, v);
    }
    byte[] b = out.getCopyOfBuffer();
    int[] unsigned = new int[b.length];
    for (int i = 0; i < b.length; i++) {
      unsigned[i] = b[i] & 0xFF;
    }
    return unsigned;
  }
}
