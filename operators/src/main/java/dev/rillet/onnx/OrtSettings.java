package dev.rillet.onnx;

import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import java.io.Serializable;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.flink.annotation.PublicEvolving;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The ONNX Runtime session settings of every Rillet model: recurrent packages ({@link SharedOrt}),
 * the ELMo biLM and the ELMo heads. What users set ({@code --intra-op-threads}, {@code
 * --execution-provider}) travels in this value from the command line to the operators; {@link
 * #configure} applies it, with what Rillet always sets, in this one place so that the model kinds
 * do not drift apart:
 *
 * <ul>
 *   <li>{@code intraOpThreads} intra-op threads, inter-op 1;
 *   <li>sequential execution of the graph's nodes;
 *   <li>every graph optimisation ONNX Runtime has;
 *   <li>no spinning: idle pool threads would otherwise burn the cores that other operators and
 *       subtasks need between calls;
 *   <li>the execution provider: CPU, or CUDA device 0 ({@link ExecutionProvider}).
 * </ul>
 *
 * @param intraOpThreads threads of one call, at least 1
 * @param executionProvider where the calls run
 */
@PublicEvolving
public record OrtSettings(int intraOpThreads, ExecutionProvider executionProvider)
    implements Serializable {
  private static final Logger LOG = LoggerFactory.getLogger(OrtSettings.class);

  /** Each (asked, used) provider pair is logged once per JVM: "said once at startup". */
  private static final Set<String> ANNOUNCED = ConcurrentHashMap.newKeySet();

  /**
   * @throws IllegalArgumentException when intraOpThreads &lt; 1
   */
  public OrtSettings {
    if (intraOpThreads < 1) {
      throw new IllegalArgumentException("intraOpThreads must be >= 1, got " + intraOpThreads);
    }
    Objects.requireNonNull(executionProvider, "executionProvider");
  }

  /** {@code intraOpThreads} threads on the {@link ExecutionProvider#AUTO} provider. */
  public static OrtSettings of(int intraOpThreads) {
    return new OrtSettings(intraOpThreads, ExecutionProvider.AUTO);
  }

  /**
   * Applies these settings to {@code options} (fresh, owned and closed by the caller) and returns
   * the provider its sessions will use: {@link ExecutionProvider#CPU} or {@link
   * ExecutionProvider#CUDA}.
   *
   * @throws ExecutionProviderUnavailableException when CUDA is asked for and cannot be used here;
   *     the message says why and what to do
   */
  public ExecutionProvider configure(OrtSession.SessionOptions options) throws OrtException {
    options.setIntraOpNumThreads(intraOpThreads);
    options.setInterOpNumThreads(1);
    options.setExecutionMode(OrtSession.SessionOptions.ExecutionMode.SEQUENTIAL);
    options.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
    options.addConfigEntry("session.intra_op.allow_spinning", "0");
    ExecutionProvider used = resolve();
    if (used == ExecutionProvider.CUDA) {
      options.addCUDA(0);
    }
    return used;
  }

  /**
   * The provider sessions made with these settings use in this JVM ({@link ExecutionProvider#CPU}
   * or {@link ExecutionProvider#CUDA}); the first call per choice logs the decision and its reason.
   *
   * @throws ExecutionProviderUnavailableException when CUDA is asked for and cannot be used here
   */
  public ExecutionProvider resolve() {
    ExecutionProvider used;
    String reason;
    if (executionProvider == ExecutionProvider.CPU) {
      used = ExecutionProvider.CPU;
      reason = "asked for";
    } else {
      CudaProbe.Answer cuda = CudaProbe.answer();
      if (executionProvider == ExecutionProvider.CUDA && !cuda.usable()) {
        throw new ExecutionProviderUnavailableException(unavailable(cuda.reason()));
      }
      used = cuda.usable() ? ExecutionProvider.CUDA : ExecutionProvider.CPU;
      reason = cuda.reason();
    }
    if (ANNOUNCED.add(executionProvider + "->" + used)) {
      LOG.info(
          "ONNX Runtime execution provider: {} (--execution-provider {}: {})",
          used.label(),
          executionProvider.label(),
          reason);
    }
    return used;
  }

  /**
   * Checks what can be checked away from the machines that run the model: that CUDA, when asked
   * for, is in this build. Whether a device answers is found where the model runs ({@link
   * #resolve}).
   *
   * @throws IllegalArgumentException when CUDA is asked for and this build has no CUDA provider
   */
  public void requireProviderInBuild() {
    if (executionProvider == ExecutionProvider.CUDA && !CudaProbe.inBuild()) {
      throw new IllegalArgumentException(unavailable(CudaProbe.NOT_IN_BUILD));
    }
  }

  private static String unavailable(String reason) {
    return "--execution-provider cuda: "
        + reason
        + ". Use --execution-provider auto (CUDA where it works, the CPU elsewhere) or cpu";
  }
}
