package dev.rillet.recurrent;

import static dev.rillet.testutils.SerializerSnapshots.throughCheckpoint;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.rillet.state.VarInts;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.apache.flink.api.common.typeutils.TypeSerializer;
import org.apache.flink.api.common.typeutils.TypeSerializerSnapshot;
import org.apache.flink.api.common.typeutils.base.StringSerializer;
import org.apache.flink.core.memory.DataInputDeserializer;
import org.apache.flink.core.memory.DataOutputSerializer;
import org.junit.jupiter.api.Test;

class RecurrentStateSerializerTest {
  private static final RecurrentStateSerializer V2 = RecurrentStateSerializer.INSTANCE;
  private static final RecurrentStateSerializerV1 V1 = RecurrentStateSerializerV1.INSTANCE;

  /** The shipped GRU's state a few events into a stream: 256 floats. */
  private static RecurrentState typical() {
    float[] h = new float[256];
    for (int i = 0; i < h.length; i++) {
      h[i] = (float) Math.sin(i);
    }
    return new RecurrentState("rillet-gru@1.2.1", h, 9, 2, 1_700_000_002_000L);
  }

  private static List<RecurrentState> edgeStates() {
    List<RecurrentState> states = new ArrayList<>();
    states.add(typical());
    states.add(RecurrentState.fresh("m@1", 3));
    states.add(new RecurrentState("", null, 0, -1, 0));
    states.add(new RecurrentState("m", new float[0], 1, 0, -1));
    float[] odd = {Float.NaN, -0f, Float.MIN_VALUE, Float.NEGATIVE_INFINITY, Float.MAX_VALUE};
    states.add(new RecurrentState("ünïcödé@€", odd, Long.MAX_VALUE, Long.MIN_VALUE, -1));
    for (long v : new long[] {0, -1, 1, 127, 128, Long.MIN_VALUE, Long.MAX_VALUE}) {
      states.add(new RecurrentState("m@" + v, new float[] {v}, v, v, v));
    }
    return states;
  }

  private static byte[] bytes(TypeSerializer<RecurrentState> serializer, RecurrentState s)
      throws IOException {
    DataOutputSerializer out = new DataOutputSerializer(1200);
    serializer.serialize(s, out);
    return out.getCopyOfBuffer();
  }

  private static RecurrentState read(TypeSerializer<RecurrentState> serializer, byte[] bytes)
      throws IOException {
    DataInputDeserializer in = new DataInputDeserializer(bytes);
    RecurrentState s = serializer.deserialize(in);
    assertThat(in.available()).as("bytes left").isZero();
    return s;
  }

  @Test
  void everyEdgeValueRoundTripsInBothLayouts() throws IOException {
    for (TypeSerializer<RecurrentState> serializer : List.of(V2, V1)) {
      for (RecurrentState s : edgeStates()) {
        assertThat(read(serializer, bytes(serializer, s))).as("%s", s).isEqualTo(s);
        DataOutputSerializer copied = new DataOutputSerializer(64);
        serializer.copy(new DataInputDeserializer(bytes(serializer, s)), copied);
        assertThat(copied.getCopyOfBuffer()).isEqualTo(bytes(serializer, s));
      }
    }
  }

  @Test
  void aNullModelIdIsStoredAsEmptyAsInLayout1() throws IOException {
    RecurrentState s = new RecurrentState(null, null, 0, -1, 0);
    assertThat(read(V2, bytes(V2, s)).modelId).isEmpty();
    assertThat(read(V1, bytes(V1, s)).modelId).isEmpty();
  }

  @Test
  void layout2TakesItsLayoutsBytesLessThanLayout1() throws IOException {
    RecurrentState s = typical();
    int idBytes = s.modelId.getBytes(StandardCharsets.UTF_8).length;
    int id = VarInts.size(idBytes) + idBytes;
    int floats = Float.BYTES * s.tensors.length;
    int expected =
        id
            + VarInts.size(s.nextPosition)
            + VarInts.zigZagSize(s.lastSeq)
            + VarInts.zigZagSize(s.lastActivity)
            + VarInts.size(s.tensors.length + 1L)
            + floats;
    assertThat(bytes(V2, s)).hasSize(expected);
    int layout1 = 2 + idBytes + 3 * Long.BYTES + Integer.BYTES + floats;
    assertThat(bytes(V1, s)).hasSize(layout1);
    // Beside the id's bytes and the floats: 30 bytes in layout 1, under half of that now.
    assertThat(expected - idBytes - floats).isLessThan((layout1 - idBytes - floats) / 2);
  }

  @Test
  void aModelIdLongerThanLayout1CouldHoldIsRefused() throws IOException {
    DataOutputSerializer out = new DataOutputSerializer(32);
    VarInts.writeVarLong(out, 0x10000);
    assertThatThrownBy(() -> read(V2, out.getCopyOfBuffer()))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("model id of 65536 bytes");
  }

  @Test
  void aTensorLengthBeyondAnArrayIsRefused() throws IOException {
    DataOutputSerializer out = new DataOutputSerializer(32);
    VarInts.writeVarLong(out, 1);
    out.writeByte('m');
    VarInts.writeVarLong(out, 0);
    VarInts.writeZigZag(out, 0);
    VarInts.writeZigZag(out, 0);
    VarInts.writeVarLong(out, Integer.MAX_VALUE + 2L);
    assertThatThrownBy(() -> read(V2, out.getCopyOfBuffer()))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("tensor length " + (Integer.MAX_VALUE + 1L));
  }

  @Test
  @SuppressWarnings({"unchecked", "rawtypes"})
  void layout2IsCompatibleAsIsWithItselfAndAfterMigrationWithLayout1() throws IOException {
    TypeSerializerSnapshot<RecurrentState> current = V2.snapshotConfiguration();
    assertThat(current).isInstanceOf(RecurrentStateSerializer.VersionedSnapshot.class);
    TypeSerializerSnapshot<RecurrentState> restored = throughCheckpoint(current);
    assertThat(restored.restoreSerializer()).isSameAs(V2);
    assertThat(current.resolveSchemaCompatibility(restored).isCompatibleAsIs()).isTrue();

    // Layout 1's snapshot class, as every checkpoint before layout 2 names it.
    TypeSerializerSnapshot<RecurrentState> layout1 = throughCheckpoint(V1.snapshotConfiguration());
    assertThat(layout1).isExactlyInstanceOf(RecurrentStateSerializer.Snapshot.class);
    assertThat(layout1.restoreSerializer()).isSameAs(V1);
    assertThat(current.resolveSchemaCompatibility(layout1).isCompatibleAfterMigration()).isTrue();
    assertThat(layout1.resolveSchemaCompatibility(layout1).isCompatibleAsIs()).isTrue();
    // Not back: layout 1's serializer cannot read layout 2.
    assertThat(layout1.resolveSchemaCompatibility(restored).isIncompatible()).isTrue();

    TypeSerializerSnapshot strings = StringSerializer.INSTANCE.snapshotConfiguration();
    assertThat(current.resolveSchemaCompatibility(strings).isIncompatible()).isTrue();
  }
}
