package dev.rillet.jobs.eval;

import java.util.List;
import java.util.Map;

/**
 * Scores sentence sentiment: (sentence id, predicted class) against gold SST labels, whatever
 * produced the prediction (a stream's running sentiment after the sentence's last token, or a
 * sentence model's label). Binary (SST-2: 0 negative, 1 positive) unless built for more classes
 * (SST-5: 0 very negative .. 4 very positive).
 */
public final class SentimentEvaluation {
  private final int classes;
  private long sentences;
  private long missing;
  private long correct;
  private final long[][] confusion;

  /** A binary evaluation (SST-2). */
  public SentimentEvaluation() {
    this(2);
  }

  /** An evaluation over labels {@code 0 .. classes-1}. */
  public SentimentEvaluation(int classes) {
    if (classes < 2) {
      throw new IllegalArgumentException("sentiment needs at least 2 classes, got " + classes);
    }
    this.classes = classes;
    this.confusion = new long[classes][classes];
  }

  /** Scores each gold sentence against the binary prediction for its id (missing = wrong). */
  public static SentimentScore score(List<SstSentence> gold, Map<String, Integer> predictedById) {
    return score(gold, predictedById, 2);
  }

  /**
   * Scores each gold sentence against the prediction for its id (missing = wrong), labels {@code 0
   * .. classes-1}.
   */
  public static SentimentScore score(
      List<SstSentence> gold, Map<String, Integer> predictedById, int classes) {
    SentimentEvaluation evaluation = new SentimentEvaluation(classes);
    for (SstSentence s : gold) {
      evaluation.add(s.label(), predictedById.get(s.id()));
    }
    return evaluation.score();
  }

  /**
   * Adds one sentence.
   *
   * @param gold a label in {@code 0 .. classes-1}
   * @param predicted a label in {@code 0 .. classes-1}, or null when there is no prediction
   */
  public void add(int gold, Integer predicted) {
    check("gold", gold);
    sentences++;
    if (predicted == null) {
      missing++;
      return;
    }
    check("predicted", predicted);
    confusion[gold][predicted]++;
    if (gold == predicted) {
      correct++;
    }
  }

  private void check(String what, int label) {
    if (label < 0 || label >= classes) {
      throw new IllegalArgumentException(
          what
              + " label "
              + label
              + (classes == 2
                  ? " is not binary (0 negative, 1 positive)"
                  : " is not in 0.." + (classes - 1)));
    }
  }

  /** The figures of every sentence added so far. */
  public SentimentScore score() {
    long[][] copy = new long[classes][];
    for (int i = 0; i < classes; i++) {
      copy[i] = confusion[i].clone();
    }
    return new SentimentScore(sentences, missing, correct, copy);
  }
}
