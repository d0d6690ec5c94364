package dev.rillet.recurrent;

import dev.rillet.state.LayoutSnapshot;
import dev.rillet.state.VarInts;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import org.apache.flink.annotation.Internal;
import org.apache.flink.api.common.typeutils.SimpleTypeSerializerSnapshot;
import org.apache.flink.api.common.typeutils.TypeSerializer;
import org.apache.flink.api.common.typeutils.TypeSerializerSchemaCompatibility;
import org.apache.flink.api.common.typeutils.TypeSerializerSnapshot;
import org.apache.flink.core.memory.DataInputView;
import org.apache.flink.core.memory.DataOutputView;

/**
 * Explicit serializer for {@link RecurrentState}, so the hidden state never falls back to Kryo and
 * its binary layout is ours to evolve.
 *
 * <p>Layout version 2, in order:
 *
 * <ol>
 *   <li>modelId: its UTF-8 byte count as a varint, then the bytes; {@code ""} for null
 *   <li>nextPosition: varint
 *   <li>lastSeq: zigzag varint (-1, nothing consumed yet, is 1 byte)
 *   <li>lastActivity: zigzag varint (6 bytes for an epoch-millis time)
 *   <li>tensor length plus one: varint, 0 for null tensors
 *   <li>the floats, 4 bytes each, big-endian ({@link java.io.DataOutput#writeFloat})
 * </ol>
 *
 * <p>Varints as in {@link VarInts}; every value round-trips. Against layout version 1 ({@link
 * RecurrentStateSerializerV1}: a 2-byte string length, fixed-width longs and int) that saves 19 of
 * the 46 bytes beside the floats for a young stream of the shipped GRU. The model id stays a string
 * rather than, say, an index into the operator's models: the state moves between subtasks on
 * rescaling, and an index is only meaningful within one.
 *
 * <p>Snapshots: {@link VersionedSnapshot} (layout 2 on); state of layout 1, described by the {@link
 * Snapshot} class, is read with the layout 1 serializer and migrated on restore.
 */
@Internal
public final class RecurrentStateSerializer extends RecurrentStateSerializerBase {
  private static final long serialVersionUID = 1L;

  public static final RecurrentStateSerializer INSTANCE = new RecurrentStateSerializer();

  /** The layout version {@link #serialize} writes. */
  static final int LAYOUT = 2;

  /**
   * Longest model id read back: what layout 1 could hold, and far beyond a real "name@version";
   * refuses a corrupt length before allocating it.
   */
  private static final int MAX_MODEL_ID_BYTES = 0xFFFF;

  @Override
  public void serialize(RecurrentState s, DataOutputView out) throws IOException {
    byte[] id = (s.modelId == null ? "" : s.modelId).getBytes(StandardCharsets.UTF_8);
    VarInts.writeVarLong(out, id.length);
    out.write(id);
    VarInts.writeVarLong(out, s.nextPosition);
    VarInts.writeZigZag(out, s.lastSeq);
    VarInts.writeZigZag(out, s.lastActivity);
    if (s.tensors == null) {
      VarInts.writeVarLong(out, 0);
    } else {
      VarInts.writeVarLong(out, s.tensors.length + 1L);
      for (float v : s.tensors) {
        out.writeFloat(v);
      }
    }
  }

  @Override
  public RecurrentState deserialize(DataInputView in) throws IOException {
    RecurrentState s = new RecurrentState();
    s.modelId = readModelId(in);
    s.nextPosition = VarInts.readVarLong(in);
    s.lastSeq = VarInts.readZigZag(in);
    s.lastActivity = VarInts.readZigZag(in);
    long lengthPlusOne = VarInts.readVarLong(in);
    if (lengthPlusOne < 0 || lengthPlusOne > Integer.MAX_VALUE) {
      throw new IOException("recurrent state: tensor length " + (lengthPlusOne - 1));
    }
    s.tensors = lengthPlusOne == 0 ? null : readFloats(in, (int) lengthPlusOne - 1);
    return s;
  }

  private static String readModelId(DataInputView in) throws IOException {
    long length = VarInts.readVarLong(in);
    if (length < 0 || length > MAX_MODEL_ID_BYTES) {
      throw new IOException("recurrent state: model id of " + length + " bytes");
    }
    byte[] id = new byte[(int) length];
    in.readFully(id);
    return new String(id, StandardCharsets.UTF_8);
  }

  /** Reads {@code n} floats as {@link java.io.DataOutput#writeFloat} wrote them (every layout). */
  static float[] readFloats(DataInputView in, int n) throws IOException {
    float[] t = new float[n];
    for (int i = 0; i < n; i++) {
      t[i] = in.readFloat();
    }
    return t;
  }

  @Override
  public TypeSerializerSnapshot<RecurrentState> snapshotConfiguration() {
    return new VersionedSnapshot();
  }

  /**
   * Snapshot of this serializer from layout version 2 on; restores state of version 1 (its {@link
   * Snapshot}) by migration.
   */
  public static final class VersionedSnapshot extends LayoutSnapshot<RecurrentState> {
    public VersionedSnapshot() {
      super(LAYOUT, LAYOUT);
    }

    @Override
    protected TypeSerializer<RecurrentState> serializerFor(int layout) {
      return INSTANCE;
    }

    @Override
    protected TypeSerializerSchemaCompatibility<RecurrentState> resolveForeign(
        TypeSerializerSnapshot<RecurrentState> oldSnapshot) {
      return oldSnapshot instanceof Snapshot
          ? TypeSerializerSchemaCompatibility.compatibleAfterMigration()
          : TypeSerializerSchemaCompatibility.incompatible();
    }
  }

  /**
   * Snapshot of layout version 1, which every checkpoint and savepoint before layout 2 names (its
   * class name is in their metadata), so it stays here under this name; it restores {@link
   * RecurrentStateSerializerV1}. No longer written.
   */
  public static final class Snapshot extends SimpleTypeSerializerSnapshot<RecurrentState> {
    public Snapshot() {
      super(() -> RecurrentStateSerializerV1.INSTANCE);
    }
  }
}
