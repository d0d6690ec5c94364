package dev.rillet.recurrent;

import ai.onnxruntime.OrtException;
import ai.onnxruntime.TensorInfo;
import dev.rillet.onnx.ModelPackageException;
import dev.rillet.onnx.OrtSettings;
import dev.rillet.onnx.RecurrentModelPackage;
import dev.rillet.onnx.SharedCache;
import dev.rillet.onnx.SharedOrt;
import dev.rillet.onnx.Vocabulary;
import java.nio.file.Path;

/**
 * One model loaded in a {@link RecurrentTagger}: the shared package (through {@link SharedOrt}),
 * this operator's own {@link RecurrentStepRunner} on it, and what the tagger reads per step. A
 * tagger holds one while no model update is in progress, and more while streams drain off an older
 * model (policy DRAIN).
 *
 * <p>Not thread-safe; owned by one operator instance. {@link #close()} releases the runner and the
 * lease (the session closes when its last lease in the TaskManager does).
 */
final class ModelRuntime implements AutoCloseable {
  final String dir;
  final String modelId;
  final Vocabulary vocabulary;
  final String[] tagLabels;
  final String[] sentimentLabels;

  /** The longest chunk: the tagger's maxChunkTokens, or 1 when the graph fixes T to 1. */
  final int chunkTokens;

  final RecurrentStepRunner runner;

  /** Id of the model update that installed this model; null for the job's --model. */
  String updateId;

  /** When that update was written (epoch millis); 0 for the job's --model. */
  long updateTime;

  private final SharedCache.Lease<RecurrentModelPackage> lease;

  private ModelRuntime(
      String dir, SharedCache.Lease<RecurrentModelPackage> lease, int maxBatch, int maxChunk)
      throws OrtException {
    this.dir = dir;
    this.lease = lease;
    RecurrentModelPackage model = lease.get();
    this.modelId = model.modelId();
    this.vocabulary = model.vocabulary();
    this.tagLabels = model.tagLabels().toArray(new String[0]);
    this.sentimentLabels = model.sentimentLabels().toArray(new String[0]);
    this.chunkTokens = takesRuns(model) ? maxChunk : 1;
    this.runner = RecurrentStepRunner.on(model, maxBatch, chunkTokens);
  }

  /**
   * Loads (or shares, when another subtask of this TaskManager has it) the package in {@code dir},
   * validating its manifest against the graph, and builds a runner on it.
   *
   * @throws ModelPackageException naming what is wrong with the package
   */
  static ModelRuntime open(Path dir, OrtSettings settings, int maxBatch, int maxChunk) {
    SharedCache.Lease<RecurrentModelPackage> lease = SharedOrt.acquire(dir, settings);
    try {
      return new ModelRuntime(dir.toString(), lease, maxBatch, maxChunk);
    } catch (OrtException | RuntimeException e) {
      lease.close();
      throw new ModelPackageException(
          "cannot run the model package in " + dir + ": " + e.getMessage(), e);
    }
  }

  /**
   * True when the model's token ids input takes more than one step per call: its T dimension is
   * dynamic or larger than 1. A graph exported with T fixed to 1 still works, one step per call.
   */
  private static boolean takesRuns(RecurrentModelPackage model) throws OrtException {
    TensorInfo ids =
        (TensorInfo) model.session().getInputInfo().get(model.tokenIdsInput()).getInfo();
    long steps = ids.getShape()[1];
    return steps < 0 || steps > 1;
  }

  int packedStateSize() {
    return runner.packedStateSize();
  }

  @Override
  public void close() {
    try {
      runner.close();
    } finally {
      lease.close();
    }
  }

  @Override
  public String toString() {
    return modelId + " (" + dir + ")";
  }
}
