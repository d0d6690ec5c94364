package dev.rillet.testutils;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import dev.rillet.onnx.RecurrentModelPackage;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

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
    OrtEnvironment env = OrtEnvironment.getEnvironment();
    int t = tokens.size();
    long[][] ids = new long[1][t];
    for (int i = 0; i < t; i++) {
      ids[0][i] = model.vocabulary().id(tokens.get(i));
    }
    List<String> stateIn = model.stateInputs();
    List<String> stateOut = model.stateOutputs();
    Map<String, OnnxTensor> inputs = new HashMap<>();
    try {
      inputs.put(model.tokenIdsInput(), OnnxTensor.createTensor(env, ids));
      for (String name : stateIn) {
        inputs.put(
            name, OnnxTensor.createTensor(env, new float[model.layers()][1][model.hidden()]));
      }
      try (OrtSession.Result result = model.session().run(inputs)) {
        float[][] tags = ((float[][][]) result.get(model.tagLogitsOutput()).get().getValue())[0];
        float[][] sentiment = new float[t][0];
        if (model.sentimentLogitsOutput() != null) {
          sentiment = ((float[][][]) result.get(model.sentimentLogitsOutput()).get().getValue())[0];
        }
        int h = model.hidden();
        int l = model.layers();
        float[] packed = new float[stateOut.size() * l * h];
        for (int k = 0; k < stateOut.size(); k++) {
          float[][][] s = (float[][][]) result.get(stateOut.get(k)).get().getValue();
          for (int layer = 0; layer < l; layer++) {
            System.arraycopy(s[layer][0], 0, packed, (k * l + layer) * h, h);
          }
        }
        return new SequenceReference(tags, sentiment, packed);
      }
    } finally {
      inputs.values().forEach(OnnxTensor::close);
    }
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
