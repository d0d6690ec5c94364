package dev.rillet.elmo.runtime;

import org.apache.flink.annotation.PublicEvolving;

/**
 * The ELMo activations of one sentence, sentence markers removed: for each of the {@code L + 1}
 * layers and each token a vector of {@code 2P} floats. Layer 0 is the context-free token vector
 * twice {@code [x, x]}; layer k >= 1 is {@code [forward_k, backward_k]}. Immutable by contract (the
 * array behind {@link #data()} is not copied and must not be modified).
 */
@PublicEvolving
public final class ElmoLayers {
  private final int layers;
  private final int tokens;
  private final int dim;
  private final float[] data;

  /** Wraps {@code data} laid out {@code [layers][tokens][dim]}. */
  public ElmoLayers(int layers, int tokens, int dim, float[] data) {
    if (data.length != layers * tokens * dim) {
      throw new IllegalArgumentException(
          data.length + " floats for " + layers + " x " + tokens + " x " + dim);
    }
    this.layers = layers;
    this.tokens = tokens;
    this.dim = dim;
    this.data = data;
  }

  /** L + 1. */
  public int layers() {
    return layers;
  }

  /** Tokens of the sentence (markers excluded). */
  public int tokens() {
    return tokens;
  }

  /** 2P: width of a vector. */
  public int dim() {
    return dim;
  }

  /** One value. */
  public float get(int layer, int token, int i) {
    return data[(layer * tokens + token) * dim + i];
  }

  /** Offset of the vector of (layer, token) in {@link #data()}. */
  public int offset(int layer, int token) {
    return (layer * tokens + token) * dim;
  }

  /** A copy of the vector of (layer, token). */
  public float[] vector(int layer, int token) {
    float[] v = new float[dim];
    System.arraycopy(data, offset(layer, token), v, 0, dim);
    return v;
  }

  /** All values, {@code [layers][tokens][dim]} row-major (shared, not copied). */
  public float[] data() {
    return data;
  }
}
