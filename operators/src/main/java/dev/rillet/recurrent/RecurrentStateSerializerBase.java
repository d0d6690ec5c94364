package dev.rillet.recurrent;

import java.io.IOException;
import org.apache.flink.api.common.typeutils.base.TypeSerializerSingleton;
import org.apache.flink.core.memory.DataInputView;
import org.apache.flink.core.memory.DataOutputView;

/**
 * What the serializers of {@link RecurrentState}'s layouts share: everything but the bytes. Each
 * layout's serializer is stateless, so one instance serves every thread.
 */
abstract class RecurrentStateSerializerBase extends TypeSerializerSingleton<RecurrentState> {
  private static final long serialVersionUID = 1L;

  @Override
  public final boolean isImmutableType() {
    return false;
  }

  @Override
  public final RecurrentState createInstance() {
    return new RecurrentState();
  }

  @Override
  public final RecurrentState copy(RecurrentState from) {
    return from.copy();
  }

  @Override
  public final RecurrentState copy(RecurrentState from, RecurrentState reuse) {
    return from.copy();
  }

  @Override
  public final int getLength() {
    return -1;
  }

  @Override
  public final RecurrentState deserialize(RecurrentState reuse, DataInputView in)
      throws IOException {
    return deserialize(in);
  }

  @Override
  public final void copy(DataInputView in, DataOutputView out) throws IOException {
    serialize(deserialize(in), out);
  }
}
