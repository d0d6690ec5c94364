package dev.rillet.onnx;

import java.nio.FloatBuffer;
import org.apache.flink.annotation.Internal;

/**
 * Softmax over rows of model logits read in place from an output buffer, allocation-free. Shared by
 * every operator that turns logits into labels and probabilities.
 */
@Internal
public final class Logits {
  private Logits() {}

  /**
   * Index of the largest of the {@code n} logits at {@code from}; its softmax probability goes to
   * {@code probabilityOut[probabilityIndex]}.
   */
  public static int argmax(
      FloatBuffer logits, int from, int n, float[] probabilityOut, int probabilityIndex) {
    int best = 0;
    float max = logits.get(from);
    for (int c = 1; c < n; c++) {
      float v = logits.get(from + c);
      if (v > max) {
        max = v;
        best = c;
      }
    }
    double sum = 0;
    for (int c = 0; c < n; c++) {
      sum += Math.exp(logits.get(from + c) - max);
    }
    probabilityOut[probabilityIndex] = (float) (1.0 / sum);
    return best;
  }

  /** Writes the softmax of the {@code n} logits at {@code from} into {@code out[0..n)}. */
  public static void softmax(FloatBuffer logits, int from, int n, float[] out) {
    float max = Float.NEGATIVE_INFINITY;
    for (int c = 0; c < n; c++) {
      max = Math.max(max, logits.get(from + c));
    }
    double sum = 0;
    for (int c = 0; c < n; c++) {
      sum += Math.exp(logits.get(from + c) - max);
    }
    for (int c = 0; c < n; c++) {
      out[c] = (float) (Math.exp(logits.get(from + c) - max) / sum);
    }
  }
}
