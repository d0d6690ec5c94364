package dev.rillet.elmo;

/** Which per-token embeddings {@link SentenceElmo} writes into {@code SentenceAnalysis}. */
public enum EmbeddingsMode {
  /** None (the default: embeddings are large, 2P floats per token and layer). */
  OFF,
  /** The tag head's scalar mix of the layers: 2P floats per token. */
  MIXED,
  /** All L+1 layers concatenated: (L+1)·2P floats per token. */
  ALL
}
