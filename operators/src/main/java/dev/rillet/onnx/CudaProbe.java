package dev.rillet.onnx;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtProvider;
import ai.onnxruntime.OrtSession;
import dev.rillet.onnx.graph.ElemType;
import dev.rillet.onnx.graph.OnnxGraph;
import dev.rillet.onnx.graph.OnnxModelWriter;
import java.util.List;
import java.util.Map;

/**
 * Whether CUDA device 0 can run ONNX Runtime sessions in this JVM, found out once: the CUDA
 * provider must be in this build's native library (the {@code onnxruntime_gpu} artifact; the
 * default {@code onnxruntime} has none), and a one-node graph must open and run on it. Opening the
 * real models with CUDA and falling back when that fails would do the same, but in three places
 * with three clean-up paths; a probe answers for all of them.
 */
final class CudaProbe {
  /** The answer: usable or not, and in words why (shown in the startup line and errors). */
  record Answer(boolean usable, String reason) {}

  static final String NOT_IN_BUILD =
      "this build's ONNX Runtime has no CUDA provider (it is the CPU artifact"
          + " com.microsoft.onnxruntime:onnxruntime; build with -Pgpu for onnxruntime_gpu)";

  private static Answer answer;

  private CudaProbe() {}

  static synchronized Answer answer() {
    if (answer == null) {
      answer = probe();
    }
    return answer;
  }

  private static Answer probe() {
    if (!inBuild()) {
      return new Answer(false, NOT_IN_BUILD);
    }
    OrtEnvironment env = OrtEnvironment.getEnvironment();
    try (OrtSession.SessionOptions options = new OrtSession.SessionOptions()) {
      options.addCUDA(0);
      try (OrtSession session = env.createSession(probeGraph(), options);
          OnnxTensor x = OnnxTensor.createTensor(env, new float[] {1f});
          OrtSession.Result y = session.run(Map.of("x", x))) {
        float out = ((float[]) y.get(0).getValue())[0];
        if (out != 2f) {
          return new Answer(false, "CUDA device 0 computed 1 + 1 = " + out);
        }
      }
      return new Answer(true, "CUDA device 0 answers");
    } catch (OrtException | RuntimeException | UnsatisfiedLinkError e) {
      return new Answer(
          false, "the CUDA provider is in this build but CUDA device 0 does not answer: " + e);
    }
  }

  /** Whether this build's ONNX Runtime has the CUDA provider (says nothing of devices). */
  static boolean inBuild() {
    return OrtEnvironment.getAvailableProviders().contains(OrtProvider.CUDA);
  }

  /** y = x + x over one float: enough to make CUDA open the device and run a kernel. */
  private static byte[] probeGraph() {
    OnnxGraph g = new OnnxGraph("cuda-probe");
    String x = g.input("x", ElemType.FLOAT, 1);
    g.opNamed("Add", List.of(x, x), List.of("y"));
    g.output("y", ElemType.FLOAT, 1);
    return OnnxModelWriter.model(g, "rillet-cuda-probe", Map.of()).toByteArray();
  }
}
