package dev.rillet.elmo;

import dev.rillet.elmo.runtime.ElmoSource;
import dev.rillet.onnx.ExecutionProvider;
import java.io.Serializable;
import java.nio.file.Path;
import java.util.List;
import org.apache.flink.annotation.PublicEvolving;

/**
 * Runs the bidirectional language model and its task heads over a batch of complete sentences.
 *
 * <p>Contract: the result of a sentence depends only on its tokens (and, when stateful, on the
 * state passed in for it), never on the other sentences in the batch or on padding, beyond float
 * rounding (~1e-6). Not thread-safe: each operator instance owns its analyzer (which may share a
 * native session with others through a cache). Closing it releases what it holds.
 */
@PublicEvolving
public interface SentenceAnalyzer extends AutoCloseable {

  /** Tag labels, indexed by {@link SentenceResult#tags}. */
  List<String> tagLabels();

  /** Sentiment labels, ordered as {@link SentenceResult#sentiment}; empty without a head. */
  List<String> sentimentLabels();

  /** Ids (id@version) of the language model and heads, for provenance in every output. */
  List<String> modelIds();

  /**
   * Floats in one stream's packed LSTM state (every direction and layer, h and c), or 0 when the
   * analyzer runs stateless.
   */
  int stateSize();

  /**
   * Analyses {@code sentences} (each at least one token) in one batch.
   *
   * @param states null when stateless; else one array of {@link #stateSize()} floats per sentence,
   *     read as the sentence's initial state and overwritten with its final state
   * @param results filled in, one per sentence (same index)
   */
  void analyze(
      List<String[]> sentences,
      float[][] states,
      EmbeddingsMode embeddings,
      SentenceResult[] results)
      throws Exception;

  /**
   * Fails, with a message naming the fix, when this analyzer cannot produce {@code mode}
   * embeddings. Called once at start-up so the job fails early.
   */
  void requireEmbeddings(EmbeddingsMode mode);

  @Override
  void close() throws Exception;

  /** Makes analyzers; shipped to the task managers with the operator, so it is serializable. */
  interface Factory extends Serializable {
    SentenceAnalyzer create() throws Exception;

    /**
     * Where the analyzers this factory makes run in this JVM, {@link ExecutionProvider#CPU} or
     * {@link ExecutionProvider#CUDA}: {@link SentenceElmo} sizes its batches for it. Default CPU,
     * for an analyzer that does not use ONNX Runtime (a test analyzer).
     *
     * @throws dev.rillet.onnx.ExecutionProviderUnavailableException when CUDA is asked for and
     *     cannot be used here
     */
    default ExecutionProvider executionProvider() {
      return ExecutionProvider.CPU;
    }

    /**
     * The biLM this factory loads, or null when it has none that a model update could replace (a
     * test analyzer): then {@link SentenceElmo} refuses ELMo model updates.
     */
    default ElmoSource elmoSource() {
      return null;
    }

    /** The heads package folder this factory loads, or null (see {@link #elmoSource()}). */
    default Path headsDir() {
      return null;
    }

    /**
     * A factory with this one's settings (stateful, sessions, sentiment head) for another biLM and
     * heads package: what a model update swaps in.
     *
     * @param source the new biLM, or null to keep this factory's
     * @throws UnsupportedOperationException when {@link #elmoSource()} is null
     */
    default Factory withModels(ElmoSource source, Path headsDir) {
      throw new UnsupportedOperationException(
          "this sentence analyzer (" + getClass().getName() + ") cannot swap models");
    }
  }
}
