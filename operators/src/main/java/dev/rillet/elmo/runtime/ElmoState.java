package dev.rillet.elmo.runtime;

import java.util.Arrays;
import org.apache.flink.annotation.PublicEvolving;

/**
 * The LSTM state of one stream in stateful ELMo: for each direction (0 forward, 1 backward) and
 * layer, the projected state h ({@code P} floats) and the cell c ({@code H} floats), flat in
 * direction-major, then layer order: {@code h[(d * layers + k) * P + i]}. A new state is all zeros,
 * which is where bilm-tf starts every stream.
 *
 * <p>Mutable: {@link ElmoModel#embed(java.util.List, java.util.List)} overwrites it with the state
 * after the sentence. {@link #h()} and {@link #c()} return the live arrays (e.g. for a Flink state
 * serializer). Not thread-safe.
 */
@PublicEvolving
public final class ElmoState {
  private final int layers;
  private final float[] h;
  private final float[] c;

  /**
   * A zero state for {@code layers} LSTM layers of projection size {@code p} and cell size {@code
   * cell}.
   */
  public ElmoState(int layers, int p, int cell) {
    this(layers, new float[2 * layers * p], new float[2 * layers * cell]);
  }

  /** A state over existing arrays (not copied), e.g. restored from a snapshot. */
  public ElmoState(int layers, float[] h, float[] c) {
    if (layers < 1 || h.length % (2 * layers) != 0 || c.length % (2 * layers) != 0) {
      throw new IllegalArgumentException(
          "state arrays of " + h.length + " / " + c.length + " floats for " + layers + " layers");
    }
    this.layers = layers;
    this.h = h;
    this.c = c;
  }

  public int layers() {
    return layers;
  }

  /** Projection size P. */
  public int projectionDim() {
    return h.length / (2 * layers);
  }

  /** Cell size H. */
  public int cellDim() {
    return c.length / (2 * layers);
  }

  /** The live h array, {@code [2][layers][P]} flat. */
  public float[] h() {
    return h;
  }

  /** The live c array, {@code [2][layers][H]} flat. */
  public float[] c() {
    return c;
  }

  /** Back to zeros (a new stream). */
  public void reset() {
    Arrays.fill(h, 0f);
    Arrays.fill(c, 0f);
  }

  /** An independent copy. */
  public ElmoState copy() {
    return new ElmoState(layers, h.clone(), c.clone());
  }
}
