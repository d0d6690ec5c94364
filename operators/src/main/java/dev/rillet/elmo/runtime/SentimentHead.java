package dev.rillet.elmo.runtime;

import java.util.Locale;
import org.apache.flink.annotation.PublicEvolving;

/**
 * Which sentence-sentiment output of an {@link ElmoHeads} package a run uses. A package always has
 * the binary head's fields; the 5-class head is optional.
 */
@PublicEvolving
public enum SentimentHead {
  /** Binary (SST-2): manifest {@code sentimentLabels}, graph output {@code sentiment_logits}. */
  SST2("sentimentLabels", "sentiment_logits"),
  /**
   * Five classes (SST-5, very negative .. very positive): manifest {@code sentiment5Labels}, graph
   * output {@code sentiment5_logits}.
   */
  SST5("sentiment5Labels", "sentiment5_logits");

  private final String labelsField;
  private final String output;

  SentimentHead(String labelsField, String output) {
    this.labelsField = labelsField;
    this.output = output;
  }

  /** The manifest field that lists this head's labels, in logit order. */
  public String labelsField() {
    return labelsField;
  }

  /** The ONNX graph output that holds this head's logits {@code [B, S]}. */
  public String output() {
    return output;
  }

  /** The name on the command line ({@code sst2}, {@code sst5}). */
  @Override
  public String toString() {
    return name().toLowerCase(Locale.ROOT);
  }
}
