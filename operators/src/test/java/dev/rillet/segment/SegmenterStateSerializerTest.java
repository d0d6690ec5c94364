package dev.rillet.segment;

import static dev.rillet.testutils.SerializerSnapshots.throughCheckpoint;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.rillet.state.VarInts;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.apache.flink.api.common.serialization.SerializerConfigImpl;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeutils.TypeSerializer;
import org.apache.flink.api.common.typeutils.TypeSerializerSnapshot;
import org.apache.flink.core.memory.DataInputDeserializer;
import org.apache.flink.core.memory.DataOutputSerializer;
import org.junit.jupiter.api.Test;

class SegmenterStateSerializerTest {
  private static final SegmenterStateSerializer SERIALIZER = SegmenterStateSerializer.INSTANCE;

  /** Flink's POJO serializer of the state: how Rillet stored it before. */
  static TypeSerializer<SegmenterState> pojoSerializer() {
    return TypeInformation.of(SegmenterState.class).createSerializer(new SerializerConfigImpl());
  }

  private static SegmenterState state(
      boolean active,
      long lastSeq,
      long lastEventTime,
      long nextPosition,
      long sentenceIndex,
      int openSentenceTokens,
      long timerAt) {
    SegmenterState s = new SegmenterState();
    s.active = active;
    s.lastSeq = lastSeq;
    s.lastEventTime = lastEventTime;
    s.nextPosition = nextPosition;
    s.sentenceIndex = sentenceIndex;
    s.openSentenceTokens = openSentenceTokens;
    s.timerAt = timerAt;
    return s;
  }

  /** A stream a few events in, mid-sentence, its idle-gap timer 10 s after its last event. */
  private static SegmenterState typical() {
    long time = 1_700_000_000_000L;
    return state(true, 3, time, 17, 2, 5, time + 10_000);
  }

  private static List<SegmenterState> edgeStates() {
    List<SegmenterState> states = new ArrayList<>();
    states.add(new SegmenterState());
    states.add(typical());
    long[] longs = {0, -1, 1, Long.MIN_VALUE, Long.MAX_VALUE, 1_700_000_000_000L};
    for (long v : longs) {
      for (long timer : new long[] {SegmenterState.NO_TIMER, Long.MIN_VALUE, v + 1, 0}) {
        states.add(state(v % 2 == 0, v, v, v, v, (int) v, timer));
        // The timer's distance from the last event wraps around for extreme pairs.
        states.add(state(true, -1, Long.MAX_VALUE - v, 0, 0, Integer.MIN_VALUE, timer));
      }
    }
    states.add(state(false, -1, Long.MIN_VALUE, 0, 0, Integer.MAX_VALUE, Long.MAX_VALUE - 1));
    return states;
  }

  private static byte[] bytes(TypeSerializer<SegmenterState> serializer, SegmenterState s)
      throws IOException {
    DataOutputSerializer out = new DataOutputSerializer(64);
    serializer.serialize(s, out);
    return out.getCopyOfBuffer();
  }

  private static SegmenterState read(byte[] bytes) throws IOException {
    DataInputDeserializer in = new DataInputDeserializer(bytes);
    SegmenterState s = SERIALIZER.deserialize(in);
    assertThat(in.available()).as("bytes left").isZero();
    return s;
  }

  @Test
  void everyEdgeValueRoundTrips() throws IOException {
    for (SegmenterState s : edgeStates()) {
      assertThat(read(bytes(SERIALIZER, s))).as("%s", s).usingRecursiveComparison().isEqualTo(s);
      assertThat(SERIALIZER.copy(s)).usingRecursiveComparison().isEqualTo(s).isNotSameAs(s);
    }
  }

  @Test
  void copyingTheBytesGivesTheSameBytes() throws IOException {
    for (SegmenterState s : edgeStates()) {
      byte[] written = bytes(SERIALIZER, s);
      DataOutputSerializer copied = new DataOutputSerializer(64);
      SERIALIZER.copy(new DataInputDeserializer(written), copied);
      assertThat(copied.getCopyOfBuffer()).isEqualTo(written);
    }
  }

  @Test
  void aTypicalStreamTakesItsLayoutsBytesAFractionOfThePojoSerializers() throws IOException {
    SegmenterState s = typical();
    int expected =
        1 // flags
            + VarInts.zigZagSize(s.lastSeq)
            + VarInts.zigZagSize(s.lastEventTime)
            + VarInts.size(s.nextPosition)
            + VarInts.size(s.sentenceIndex)
            + VarInts.size(s.openSentenceTokens)
            + VarInts.zigZagSize(s.timerAt - s.lastEventTime);
    byte[] compact = bytes(SERIALIZER, s);
    assertThat(compact).hasSize(expected);
    // The POJO serializer: a header byte, then a null flag and the fixed-width value per field.
    int pojo = 1 + 7 + 1 + 5 * Long.BYTES + Integer.BYTES;
    assertThat(bytes(pojoSerializer(), s)).hasSize(pojo);
    assertThat(compact.length).isLessThan(pojo / 3);
    // Without a pending timer the timer takes nothing.
    s.timerAt = SegmenterState.NO_TIMER;
    assertThat(bytes(SERIALIZER, s)).hasSize(expected - VarInts.zigZagSize(10_000));
  }

  @Test
  void unknownFlagsAreRefused() {
    byte[] bytes = {(byte) 0x04, 0, 0, 0, 0, 0};
    assertThatThrownBy(() -> read(bytes))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("unknown flags 100");
  }

  @Test
  @SuppressWarnings({"unchecked", "rawtypes"})
  void snapshotIsCompatibleAsIsWithItselfAndAfterMigrationWithThePojoSnapshot() throws Exception {
    TypeSerializerSnapshot<SegmenterState> current = SERIALIZER.snapshotConfiguration();
    TypeSerializerSnapshot<SegmenterState> restored = throughCheckpoint(current);
    assertThat(restored.restoreSerializer()).isSameAs(SERIALIZER);
    assertThat(current.resolveSchemaCompatibility(restored).isCompatibleAsIs()).isTrue();

    TypeSerializerSnapshot<SegmenterState> pojo =
        throughCheckpoint(pojoSerializer().snapshotConfiguration());
    assertThat(current.resolveSchemaCompatibility(pojo).isCompatibleAfterMigration()).isTrue();

    // A POJO of another class, or another serializer altogether, is not this state.
    TypeSerializerSnapshot otherPojo =
        TypeInformation.of(SegmentedToken.class)
            .createSerializer(new SerializerConfigImpl())
            .snapshotConfiguration();
    assertThat(current.resolveSchemaCompatibility(otherPojo).isIncompatible()).isTrue();
    TypeSerializerSnapshot strings =
        TypeInformation.of(String.class)
            .createSerializer(new SerializerConfigImpl())
            .snapshotConfiguration();
    assertThat(current.resolveSchemaCompatibility(strings).isIncompatible()).isTrue();
  }
}
