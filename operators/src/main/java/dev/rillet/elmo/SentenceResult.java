package dev.rillet.elmo;

import org.apache.flink.annotation.PublicEvolving;

/**
 * What a {@link SentenceAnalyzer} produces for one sentence. The arrays belong to the result; the
 * analyzer allocates them per sentence (they travel downstream inside the emitted record).
 */
@PublicEvolving
public final class SentenceResult {
  /** Index into the analyzer's tag labels, per token. */
  public int[] tags;

  /** Softmax probability of each token's tag. */
  public float[] tagProbabilities;

  /** Sentence sentiment probabilities, ordered as the analyzer's sentiment labels; may be empty. */
  public float[] sentiment;

  /** Per-token embeddings ({@code [tokens][dim]}), or null when {@link EmbeddingsMode#OFF}. */
  public float[][] embeddings;
}
