package dev.rillet.recurrent;

import java.util.Arrays;
import java.util.Objects;
import org.apache.flink.annotation.Internal;

/**
 * The per-stream state of the {@link RecurrentTagger}, kept in Flink keyed state and serialized by
 * {@link RecurrentStateSerializer} (never Kryo).
 *
 * <p>{@link #tensors} packs all of the model's state tensors for this one stream: state tensor
 * {@code k} (0 for RNN/GRU; 0 = h and 1 = c for an LSTM), layer {@code l}, unit {@code j} is at
 * {@code (k * layers + l) * hidden + j}.
 */
@Internal
public final class RecurrentState {
  /** Model (id@version) whose hidden state this is; a different model cannot continue it. */
  public String modelId;

  /** The model's state tensors for this stream, packed as described in the class javadoc. */
  public float[] tensors;

  /** Absolute position the stream's next token will have (= tokens consumed so far). */
  public long nextPosition;

  /** seq of the last event whose tokens were consumed. */
  public long lastSeq;

  /** Event time of the last event, epoch millis. */
  public long lastActivity;

  public RecurrentState() {}

  public RecurrentState(
      String modelId, float[] tensors, long nextPosition, long lastSeq, long lastActivity) {
    this.modelId = modelId;
    this.tensors = tensors;
    this.nextPosition = nextPosition;
    this.lastSeq = lastSeq;
    this.lastActivity = lastActivity;
  }

  /** A fresh stream: zero state, nothing consumed. */
  public static RecurrentState fresh(String modelId, int packedSize) {
    return new RecurrentState(modelId, new float[packedSize], 0L, -1L, Long.MIN_VALUE);
  }

  /** Makes this state fresh again, reusing the tensor array when its size fits. */
  void reset(String modelId, int packedSize) {
    this.modelId = modelId;
    if (tensors == null || tensors.length != packedSize) {
      tensors = new float[packedSize];
    } else {
      Arrays.fill(tensors, 0f);
    }
    nextPosition = 0L;
    lastSeq = -1L;
    lastActivity = Long.MIN_VALUE;
  }

  /**
   * Moves this stream to another model: zero state for {@code modelId}, while its positions and
   * event bookkeeping continue (the stream goes on; only the model's memory of it starts over).
   */
  void switchModel(String modelId, int packedSize) {
    this.modelId = modelId;
    if (tensors == null || tensors.length != packedSize) {
      tensors = new float[packedSize];
    } else {
      Arrays.fill(tensors, 0f);
    }
  }

  public RecurrentState copy() {
    return new RecurrentState(
        modelId, tensors == null ? null : tensors.clone(), nextPosition, lastSeq, lastActivity);
  }

  @Override
  public boolean equals(Object o) {
    if (!(o instanceof RecurrentState)) {
      return false;
    }
    RecurrentState s = (RecurrentState) o;
    return nextPosition == s.nextPosition
        && lastSeq == s.lastSeq
        && lastActivity == s.lastActivity
        && Objects.equals(modelId, s.modelId)
        && Arrays.equals(tensors, s.tensors);
  }

  @Override
  public int hashCode() {
    return Objects.hash(modelId, nextPosition, lastSeq, lastActivity) * 31
        + Arrays.hashCode(tensors);
  }

  @Override
  public String toString() {
    return "RecurrentState{"
        + modelId
        + ", next="
        + nextPosition
        + ", lastSeq="
        + lastSeq
        + ", lastActivity="
        + lastActivity
        + ", "
        + (tensors == null ? 0 : tensors.length)
        + " floats}";
  }
}
