package dev.rillet.onnx;

import java.util.Locale;
import org.apache.flink.annotation.PublicEvolving;

/**
 * Where ONNX Runtime runs Rillet's models (the recurrent taggers, the ELMo biLM and its heads), as
 * chosen with {@code --execution-provider}. {@link OrtSettings#configure} turns the choice into the
 * provider a session actually uses, {@link #CPU} or {@link #CUDA}.
 */
@PublicEvolving
public enum ExecutionProvider {
  /**
   * CUDA device 0 when this build's ONNX Runtime has the CUDA provider and a CUDA device answers,
   * the CPU otherwise. Never fails for want of a GPU.
   */
  AUTO,
  /** The CPU, whatever else the machine has. */
  CPU,
  /**
   * CUDA device 0; a session cannot be made (and the job does not start) when the build has no CUDA
   * provider or no CUDA device answers.
   */
  CUDA;

  /** The lower-case name, as given on the command line and in the metric label. */
  public String label() {
    return name().toLowerCase(Locale.ROOT);
  }
}
