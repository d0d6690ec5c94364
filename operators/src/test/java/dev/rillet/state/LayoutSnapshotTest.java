package dev.rillet.state;

import static dev.rillet.testutils.SerializerSnapshots.throughCheckpoint;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import org.apache.flink.api.common.typeutils.TypeSerializer;
import org.apache.flink.api.common.typeutils.TypeSerializerSnapshot;
import org.apache.flink.api.common.typeutils.base.LongSerializer;
import org.apache.flink.api.common.typeutils.base.StringSerializer;
import org.apache.flink.core.memory.DataInputDeserializer;
import org.junit.jupiter.api.Test;

class LayoutSnapshotTest {
  /** A layout in versions 1 and 2: version 1 stored as a long (only to tell them apart here). */
  public static final class Layout2 extends LayoutSnapshot<Long> {
    public Layout2() {
      super(1, 2);
    }

    @Override
    protected TypeSerializer<Long> serializerFor(int layout) {
      return layout == 2 ? LongSerializer.INSTANCE : new LongSerializer();
    }
  }

  /** A layout's earlier snapshot class, as Flink would read it back. */
  public static final class Layout1 extends LayoutSnapshot<Long> {
    public Layout1() {
      super(1, 1);
    }

    @Override
    protected TypeSerializer<Long> serializerFor(int layout) {
      return LongSerializer.INSTANCE;
    }
  }

  @Test
  void theCheckpointRecordsTheLayoutAndTheSameLayoutIsCompatibleAsIs() throws IOException {
    TypeSerializerSnapshot<Long> restored = throughCheckpoint(new Layout2());
    assertThat(restored).isInstanceOf(Layout2.class);
    assertThat(((Layout2) restored).layout()).isEqualTo(2);
    assertThat(restored.restoreSerializer()).isSameAs(LongSerializer.INSTANCE);
    assertThat(new Layout2().resolveSchemaCompatibility(restored).isCompatibleAsIs()).isTrue();
  }

  @Test
  void anOlderLayoutOfTheSameClassRestoresWithItsSerializerAndMigrates() throws IOException {
    // Layout2 as Flink reads it back from a checkpoint written when layout 1 was current.
    Layout2 old = new Layout2();
    old.readSnapshot(1, new DataInputDeserializer(new byte[0]), getClass().getClassLoader());
    assertThat(old.layout()).isEqualTo(1);
    assertThat(old.restoreSerializer()).isNotSameAs(LongSerializer.INSTANCE);
    assertThat(new Layout2().resolveSchemaCompatibility(old).isCompatibleAfterMigration()).isTrue();
  }

  @Test
  void aLayoutNewerThanThisCodeIsRefusedOnRead() {
    assertThatThrownBy(
            () ->
                new Layout1()
                    .readSnapshot(
                        2, new DataInputDeserializer(new byte[0]), getClass().getClassLoader()))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("state layout version 2 is not one of 1..1");
  }

  @Test
  @SuppressWarnings({"unchecked", "rawtypes"})
  void anotherSnapshotClassIsIncompatibleUnlessTheSubclassKnowsIt() {
    assertThat(new Layout2().resolveSchemaCompatibility(new Layout1()).isIncompatible()).isTrue();
    TypeSerializerSnapshot strings = StringSerializer.INSTANCE.snapshotConfiguration();
    assertThat(new Layout2().resolveSchemaCompatibility(strings).isIncompatible()).isTrue();
  }
}
