package dev.rillet.recurrent;

import java.io.IOException;
import org.apache.flink.api.common.typeutils.TypeSerializerSnapshot;
import org.apache.flink.core.memory.DataInputView;
import org.apache.flink.core.memory.DataOutputView;

/**
 * {@link RecurrentState}'s layout version 1, kept to read state written before version 2 (Rillet
 * wrote it until {@link RecurrentStateSerializer} became compact); Flink migrates such state to the
 * current layout on restore.
 *
 * <p>Layout version 1: modelId (modified UTF-8 with a 2-byte length, {@code ""} for null),
 * nextPosition, lastSeq, lastActivity (8-byte longs), tensor length (4-byte int, -1 for null
 * tensors), the floats (4 bytes each). Big-endian throughout, as {@link java.io.DataOutput}.
 */
final class RecurrentStateSerializerV1 extends RecurrentStateSerializerBase {
  private static final long serialVersionUID = 1L;

  static final RecurrentStateSerializerV1 INSTANCE = new RecurrentStateSerializerV1();

  @Override
  public void serialize(RecurrentState s, DataOutputView out) throws IOException {
    out.writeUTF(s.modelId == null ? "" : s.modelId);
    out.writeLong(s.nextPosition);
    out.writeLong(s.lastSeq);
    out.writeLong(s.lastActivity);
    if (s.tensors == null) {
      out.writeInt(-1);
    } else {
      out.writeInt(s.tensors.length);
      for (float v : s.tensors) {
        out.writeFloat(v);
      }
    }
  }

  @Override
  public RecurrentState deserialize(DataInputView in) throws IOException {
    RecurrentState s = new RecurrentState();
    s.modelId = in.readUTF();
    s.nextPosition = in.readLong();
    s.lastSeq = in.readLong();
    s.lastActivity = in.readLong();
    int n = in.readInt();
    s.tensors = n < 0 ? null : RecurrentStateSerializer.readFloats(in, n);
    return s;
  }

  /** The snapshot state of this layout was always written with. */
  @Override
  public TypeSerializerSnapshot<RecurrentState> snapshotConfiguration() {
    return new RecurrentStateSerializer.Snapshot();
  }
}
