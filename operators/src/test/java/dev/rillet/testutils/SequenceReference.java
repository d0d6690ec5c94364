package dev.rillet.testutils;

import dev.rillet.onnx.RecurrentModelPackage;
import java.util.Arrays;
import java.util.List;

/**
 * The reference the bundled operator is checked against: one stream's whole token sequence through
 * the model in a single {@code [1, T]} call from zero state, with plain Java arrays (none of the
 * operator's buffers, batching or state handling).
 */
public final class SequenceReference {
  public final float[][] tagLogits; // [T][C]
  public final float[][] sentimentLogits; // [T][S] (empty rows when no head)
  public final float[] finalState; // packed like RecurrentState.tensors

  private SequenceReference(float[][] tagLogits, float[][] sentimentLogits, float[] finalState) {
    this.tagLogits = tagLogits;
    this.sentimentLogits = sentimentLogits;
    this.finalState = finalState;
  }

  public static SequenceReference run(RecurrentModelPackage model, List<String> tokens)
      throws Exception {
    int t = tokens.size();
    long[] ids = new long[t];
    for (int i = 0; i < t; i++) {
      ids[i] = model.vocabulary().id(tokens.get(i));
    }
    ModelRun.StepOutputs out = ModelRun.run(model, ids, 1, ModelRun.zeroStates(model, 1));
    int c = model.tagLabels().size();
    int sc = model.sentimentLabels().size();
    float[][] tags = new float[t][];
    float[][] sentiment = new float[t][];
    for (int i = 0; i < t; i++) {
      tags[i] = Arrays.copyOfRange(out.tags, i * c, (i + 1) * c);
      sentiment[i] =
          out.sentiment == null
              ? new float[0]
              : Arrays.copyOfRange(out.sentiment, i * sc, (i + 1) * sc);
    }
    // With B = 1, each [L,1,H] state output is already packed layer by layer.
    int size = model.layers() * model.hidden();
    float[] packed = new float[out.states.size() * size];
    for (int k = 0; k < out.states.size(); k++) {
      System.arraycopy(out.states.get(k), 0, packed, k * size, size);
    }
    return new SequenceReference(tags, sentiment, packed);
  }

  public static float[] softmax(float[] logits) {
    float max = Float.NEGATIVE_INFINITY;
    for (float v : logits) {
      max = Math.max(max, v);
    }
    double sum = 0;
    for (float v : logits) {
      sum += Math.exp(v - max);
    }
    float[] p = new float[logits.length];
    for (int i = 0; i < p.length; i++) {
      p[i] = (float) (Math.exp(logits[i] - max) / sum);
    }
    return p;
  }

  public static int argmax(float[] v) {
    int best = 0;
    for (int i = 1; i < v.length; i++) {
      if (v[i] > v[best]) {
        best = i;
      }
    }
    return best;
  }
}
