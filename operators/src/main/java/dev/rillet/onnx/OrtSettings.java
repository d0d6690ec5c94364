package dev.rillet.onnx;

import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;

/**
 * The ONNX Runtime session settings of every Rillet model: recurrent packages ({@link SharedOrt}),
 * the ELMo biLM and the ELMo heads. Set in this one place so that the model kinds do not drift
 * apart:
 *
 * <ul>
 *   <li>{@code intraOpThreads} intra-op threads (the users' setting), inter-op 1;
 *   <li>sequential execution of the graph's nodes;
 *   <li>every graph optimisation ONNX Runtime has;
 *   <li>no spinning: idle pool threads would otherwise burn the cores that other operators and
 *       subtasks need between calls.
 * </ul>
 */
public final class OrtSettings {
  private OrtSettings() {}

  /**
   * Sets the Rillet settings on {@code options} (fresh, owned and closed by the caller).
   *
   * @throws IllegalArgumentException when intraOpThreads &lt; 1
   */
  public static void configure(OrtSession.SessionOptions options, int intraOpThreads)
      throws OrtException {
    if (intraOpThreads < 1) {
      throw new IllegalArgumentException("intraOpThreads must be >= 1, got " + intraOpThreads);
    }
    options.setIntraOpNumThreads(intraOpThreads);
    options.setInterOpNumThreads(1);
    options.setExecutionMode(OrtSession.SessionOptions.ExecutionMode.SEQUENTIAL);
    options.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
    options.addConfigEntry("session.intra_op.allow_spinning", "0");
  }
}
