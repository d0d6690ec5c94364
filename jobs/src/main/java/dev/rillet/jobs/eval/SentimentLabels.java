package dev.rillet.jobs.eval;

import java.util.List;
import java.util.Locale;

/**
 * Maps a model's sentiment label names (from its manifest, in logit order) to binary polarity: 0
 * negative, 1 positive. A name counts as negative when it is {@code "0"} or contains {@code "neg"}
 * (so {@code negative}, {@code NEG}, {@code very negative}), positive when it is {@code "1"} or
 * contains {@code "pos"}; other names ({@code neutral}) are ignored. The binary prediction compares
 * the summed probability of the positive labels with that of the negative ones, which for a
 * two-label model is its argmax.
 */
public final class SentimentLabels {
  private final List<String> labels;
  private final int[] polarity;

  private SentimentLabels(List<String> labels, int[] polarity) {
    this.labels = labels;
    this.polarity = polarity;
  }

  /**
   * The mapping for {@code labels}.
   *
   * @throws IllegalArgumentException when the model has no sentiment labels, or none maps to
   *     negative or none to positive; the message names the labels
   */
  public static SentimentLabels of(List<String> labels) {
    if (labels.isEmpty()) {
      throw new IllegalArgumentException(
          "the model has no sentiment head (its manifest lists no sentimentLabels), so SST-2"
              + " cannot be scored; leave sst2 out of --tasks");
    }
    int[] polarity = new int[labels.size()];
    boolean negative = false;
    boolean positive = false;
    for (int i = 0; i < polarity.length; i++) {
      polarity[i] = polarity(labels.get(i));
      negative |= polarity[i] == 0;
      positive |= polarity[i] == 1;
    }
    if (!negative || !positive) {
      throw new IllegalArgumentException(
          "cannot map the model's sentiment labels "
              + labels
              + " to negative/positive: SST-2 scoring needs at least one label containing"
              + " \"neg\" (or \"0\") and one containing \"pos\" (or \"1\")");
    }
    return new SentimentLabels(List.copyOf(labels), polarity);
  }

  /** 0 for a negative label name, 1 for a positive one, -1 for anything else. */
  public static int polarity(String label) {
    String l = label.strip().toLowerCase(Locale.ROOT);
    boolean neg = l.equals("0") || l.contains("neg");
    boolean pos = l.equals("1") || l.contains("pos");
    if (neg == pos) {
      return -1;
    }
    return neg ? 0 : 1;
  }

  /** The labels, in logit order. */
  public List<String> labels() {
    return labels;
  }

  /**
   * The binary prediction for probabilities in label order: 1 when the positive labels' total
   * exceeds the negative labels', else 0.
   */
  public int predict(float[] probabilities) {
    if (probabilities.length != polarity.length) {
      throw new IllegalArgumentException(
          probabilities.length + " probabilities for " + polarity.length + " labels " + labels);
    }
    double negative = 0;
    double positive = 0;
    for (int i = 0; i < probabilities.length; i++) {
      if (polarity[i] == 0) {
        negative += probabilities[i];
      } else if (polarity[i] == 1) {
        positive += probabilities[i];
      }
    }
    return positive > negative ? 1 : 0;
  }
}
