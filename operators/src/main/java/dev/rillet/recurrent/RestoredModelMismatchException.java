package dev.rillet.recurrent;

import org.apache.flink.annotation.PublicEvolving;

/**
 * A job was restored from a checkpoint or savepoint whose recurrent state was written by another
 * model than the one the job runs. The hidden states in it mean nothing to the new model, so the
 * tagger refuses to continue them; the message names both model ids and how to go on.
 */
@PublicEvolving
public final class RestoredModelMismatchException extends IllegalStateException {
  private static final long serialVersionUID = 1L;

  private final String restoredModelId;
  private final String modelId;

  RestoredModelMismatchException(String restoredModelId, String modelId, String modelDir) {
    super(
        "the restored state was written by model "
            + restoredModelId
            + ", but this job runs model "
            + modelId
            + " (--model "
            + modelDir
            + "); a stream's hidden state means nothing to another model. Resume with --model"
            + " set to the package of "
            + restoredModelId
            + ", or start without that state: --fresh for a local run, no --from-savepoint for a"
            + " cluster submission (outputs of the earlier run may then be repeated downstream)");
    this.restoredModelId = restoredModelId;
    this.modelId = modelId;
  }

  /**
   * The restored state is on model {@code restoredModelId}, installed by model update {@code
   * updateId} from {@code packageDir} into a job started with {@code startModelId}; the job now
   * runs {@code modelId}, which is neither.
   */
  RestoredModelMismatchException(
      String restoredModelId,
      String modelId,
      String modelDir,
      String updateId,
      String packageDir,
      String startModelId) {
    super(
        "the restored state was written by model "
            + restoredModelId
            + (updateId == null
                ? ""
                : " (installed by model update " + updateId + " from " + packageDir + ")")
            + ", but this job runs model "
            + modelId
            + " (--model "
            + modelDir
            + "); a stream's hidden state means nothing to another model. Resume with --model"
            + " set to the package of "
            + restoredModelId
            + (startModelId == null || startModelId.equals(restoredModelId)
                ? ""
                : " or of " + startModelId + " (the model the job was started with)")
            + ", or start without that state: --fresh for a local run, no --from-savepoint for a"
            + " cluster submission (outputs of the earlier run may then be repeated downstream)");
    this.restoredModelId = restoredModelId;
    this.modelId = modelId;
  }

  /** The model id recorded in the restored state. */
  public String restoredModelId() {
    return restoredModelId;
  }

  /** The model id of the package the job was started with. */
  public String modelId() {
    return modelId;
  }
}
