package dev.rillet.jobs.eval;

import java.nio.file.Path;

/**
 * What {@code rillet eval} reports: the model scored, the exact command, the recurrent model's
 * figures and (when the sentence stage ran) the ELMo heads', and the wall time. Rendered for a
 * person by {@link EvalReportText}, as a model card section by {@link EvalReportMarkdown} and as
 * JSON for {@code --report} by {@link EvalReportJson}; the figures the renderers share (the heads'
 * differences from the recurrent model) are computed here once.
 *
 * @param modelId the recurrent model package's id
 * @param modelDir its folder
 * @param purpose the manifest's purpose, or null
 * @param command the command line that produced the result, as a user would type it
 * @param result the recurrent model's figures
 * @param elmo the ELMo sentence stage's figures, or null when it was not evaluated
 * @param totalSeconds wall time of the whole command (reading data, jobs, scoring)
 */
public record EvalReport(
    String modelId,
    Path modelDir,
    String purpose,
    String command,
    Evaluation.Result result,
    ElmoEvaluation.Result elmo,
    double totalSeconds) {
  /** Confused tag pairs listed. */
  static final int TOP_CONFUSIONS = 10;

  /** Row label of the recurrent model. */
  static final String RECURRENT = "recurrent";

  /** Row label of the ELMo heads. */
  static final String HEADS = "elmo-heads";

  /** A report of the recurrent model alone (no ELMo stage evaluated). */
  public EvalReport(
      String modelId,
      Path modelDir,
      String purpose,
      String command,
      Evaluation.Result result,
      double totalSeconds) {
    this(modelId, modelDir, purpose, command, result, null, totalSeconds);
  }

  /**
   * Heads minus recurrent accuracy in points (percentage points), or NaN when either is missing.
   */
  static double pointsDifference(double heads, double recurrent) {
    return 100 * (heads - recurrent);
  }

  /** UPOS accuracy of the heads minus the recurrent model's, in points; NaN when not both. */
  public double uposDifference() {
    return elmo == null || elmo.upos() == null || result.upos() == null
        ? Double.NaN
        : pointsDifference(elmo.upos().accuracy(), result.upos().accuracy());
  }

  /** SST-2 accuracy of the heads minus the recurrent model's, in points; NaN when not both. */
  public double sst2Difference() {
    return elmo == null || elmo.sst2() == null || result.sst2() == null
        ? Double.NaN
        : pointsDifference(elmo.sst2().accuracy(), result.sst2().accuracy());
  }
}
