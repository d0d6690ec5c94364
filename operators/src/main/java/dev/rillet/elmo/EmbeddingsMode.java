package dev.rillet.elmo;

import org.apache.flink.annotation.PublicEvolving;

/** Which per-token embeddings {@link SentenceElmo} writes into {@code SentenceAnalysis}. */
@PublicEvolving
public enum EmbeddingsMode {
  /** None (the default: embeddings are large, 2P floats per token and layer). */
  OFF,
  /** The tag head's scalar mix of the layers: 2P floats per token. */
  MIXED,
  /** All L+1 layers concatenated: (L+1)·2P floats per token. */
  ALL
}
