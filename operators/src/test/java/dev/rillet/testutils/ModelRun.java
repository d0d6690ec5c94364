package dev.rillet.testutils;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.rillet.onnx.RecurrentModelPackage;
import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Runs a recurrent step model directly through its ONNX session with plain heap buffers (none of
 * the operator's machinery): the reference side of parity tests.
 */
public final class ModelRun {
  private ModelRun() {}

  /** Outputs of one session.run, copied to heap arrays. */
  public static final class StepOutputs {
    public final float[] tags; // [B,T,C] row-major
    public final float[] sentiment; // [B,T,S] or null
    public final List<float[]> states = new ArrayList<>(); // each [L,B,H]

    StepOutputs(float[] tags, float[] sentiment) {
      this.tags = tags;
      this.sentiment = sentiment;
    }
  }

  /** Runs ids [B,T] from the given states (each [L,B,H]). */
  public static StepOutputs run(
      RecurrentModelPackage pkg, long[] ids, int batch, List<float[]> states) throws OrtException {
    OrtEnvironment env = OrtEnvironment.getEnvironment();
    int time = ids.length / batch;
    Map<String, OnnxTensor> inputs = new HashMap<>();
    try {
      inputs.put(
          pkg.tokenIdsInput(),
          OnnxTensor.createTensor(env, LongBuffer.wrap(ids), new long[] {batch, time}));
      for (int i = 0; i < pkg.stateCount(); i++) {
        inputs.put(
            pkg.stateInputs().get(i),
            OnnxTensor.createTensor(
                env,
                FloatBuffer.wrap(states.get(i)),
                new long[] {pkg.layers(), batch, pkg.hidden()}));
      }
      try (OrtSession.Result result = pkg.session().run(inputs, pkg.outputNames())) {
        StepOutputs out =
            new StepOutputs(
                floats(result, pkg.tagLogitsOutput()),
                pkg.hasSentiment() ? floats(result, pkg.sentimentLogitsOutput()) : null);
        for (String name : pkg.stateOutputs()) {
          out.states.add(floats(result, name));
        }
        return out;
      }
    } finally {
      for (OnnxTensor t : inputs.values()) {
        t.close();
      }
    }
  }

  public static List<float[]> zeroStates(RecurrentModelPackage pkg, int batch) {
    List<float[]> states = new ArrayList<>();
    for (int i = 0; i < pkg.stateCount(); i++) {
      states.add(new float[pkg.layers() * batch * pkg.hidden()]);
    }
    return states;
  }

  private static float[] floats(OrtSession.Result result, String name) {
    OnnxValue value =
        result.get(name).orElseThrow(() -> new AssertionError("no output '" + name + "'"));
    FloatBuffer buffer = ((OnnxTensor) value).getFloatBuffer();
    float[] out = new float[buffer.remaining()];
    buffer.get(out);
    return out;
  }
}
