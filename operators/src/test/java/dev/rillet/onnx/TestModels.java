package dev.rillet.onnx;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import java.io.IOException;
import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/** Finds the committed model packages and runs step models in tests. */
final class TestModels {
  private TestModels() {}

  /** The repository's models/ folder, from RILLET_MODELS (set by the surefire config). */
  static Path root() {
    String env = System.getenv("RILLET_MODELS");
    assumeTrue(env != null, "set RILLET_MODELS=<repo>/models to run");
    return Path.of(env);
  }

  static Path dir(String name) {
    return root().resolve(name);
  }

  /** Copies a package folder (flat) into target and returns target. */
  static Path copy(Path source, Path target) throws IOException {
    Files.createDirectories(target);
    try (Stream<Path> files = Files.list(source)) {
      for (Path f : (Iterable<Path>) files::iterator) {
        Files.copy(f, target.resolve(f.getFileName()));
      }
    }
    return target;
  }

  /** Outputs of one session.run, copied to heap arrays. */
  static final class StepOutputs {
    final float[] tags; // [B,T,C] row-major
    final float[] sentiment; // [B,T,S] or null
    final List<float[]> states = new ArrayList<>(); // each [L,B,H]

    StepOutputs(float[] tags, float[] sentiment) {
      this.tags = tags;
      this.sentiment = sentiment;
    }
  }

  /** Runs ids [B,T] from the given states (each [L,B,H]). */
  static StepOutputs run(RecurrentModelPackage pkg, long[] ids, int batch, List<float[]> states)
      throws OrtException {
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

  static List<float[]> zeroStates(RecurrentModelPackage pkg, int batch) {
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
