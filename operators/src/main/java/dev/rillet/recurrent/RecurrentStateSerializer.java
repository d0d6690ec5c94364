package dev.rillet.recurrent;

import java.io.IOException;
import org.apache.flink.annotation.Internal;
import org.apache.flink.api.common.typeutils.SimpleTypeSerializerSnapshot;
import org.apache.flink.api.common.typeutils.TypeSerializerSnapshot;
import org.apache.flink.api.common.typeutils.base.TypeSerializerSingleton;
import org.apache.flink.core.memory.DataInputView;
import org.apache.flink.core.memory.DataOutputView;

/**
 * Explicit serializer for {@link RecurrentState}, so the hidden state never falls back to Kryo and
 * its binary layout is ours to evolve.
 *
 * <p>Layout (format version 1): modelId (UTF), nextPosition, lastSeq, lastActivity (longs), tensor
 * length (int, -1 for null), the floats.
 */
@Internal
public final class RecurrentStateSerializer extends TypeSerializerSingleton<RecurrentState> {
  private static final long serialVersionUID = 1L;

  public static final RecurrentStateSerializer INSTANCE = new RecurrentStateSerializer();

  @Override
  public boolean isImmutableType() {
    return false;
  }

  @Override
  public RecurrentState createInstance() {
    return new RecurrentState();
  }

  @Override
  public RecurrentState copy(RecurrentState from) {
    return from.copy();
  }

  @Override
  public RecurrentState copy(RecurrentState from, RecurrentState reuse) {
    return from.copy();
  }

  @Override
  public int getLength() {
    return -1;
  }

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
    if (n >= 0) {
      float[] t = new float[n];
      for (int i = 0; i < n; i++) {
        t[i] = in.readFloat();
      }
      s.tensors = t;
    }
    return s;
  }

  @Override
  public RecurrentState deserialize(RecurrentState reuse, DataInputView in) throws IOException {
    return deserialize(in);
  }

  @Override
  public void copy(DataInputView in, DataOutputView out) throws IOException {
    out.writeUTF(in.readUTF());
    out.writeLong(in.readLong());
    out.writeLong(in.readLong());
    out.writeLong(in.readLong());
    int n = in.readInt();
    out.writeInt(n);
    for (int i = 0; i < n; i++) {
      out.writeFloat(in.readFloat());
    }
  }

  @Override
  public TypeSerializerSnapshot<RecurrentState> snapshotConfiguration() {
    return new Snapshot();
  }

  /** Snapshot for format version 1; a later layout change bumps the version and migrates. */
  public static final class Snapshot extends SimpleTypeSerializerSnapshot<RecurrentState> {
    public Snapshot() {
      super(() -> INSTANCE);
    }
  }
}
