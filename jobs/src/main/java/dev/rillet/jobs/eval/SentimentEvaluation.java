package dev.rillet.jobs.eval;

import java.util.List;
import java.util.Map;

/**
 * Scores binary sentence sentiment: (sentence id, predicted label 0/1) against gold SST-2 labels,
 * whatever produced the prediction (a stream's running sentiment after the sentence's last token,
 * or a sentence model's label).
 */
public final class SentimentEvaluation {
  private long sentences;
  private long missing;
  private long correct;
  private final long[][] confusion = new long[2][2];

  /** Scores each gold sentence against the prediction for its id (missing = wrong). */
  public static SentimentScore score(List<SstSentence> gold, Map<String, Integer> predictedById) {
    SentimentEvaluation evaluation = new SentimentEvaluation();
    for (SstSentence s : gold) {
      evaluation.add(s.label(), predictedById.get(s.id()));
    }
    return evaluation.score();
  }

  /**
   * Adds one sentence.
   *
   * @param gold 0 or 1
   * @param predicted 0 or 1, or null when there is no prediction
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

  private static void check(String what, int label) {
    if (label != 0 && label != 1) {
      throw new IllegalArgumentException(
          what + " label " + label + " is not binary (0 negative, 1 positive)");
    }
  }

  /** The figures of every sentence added so far. */
  public SentimentScore score() {
    return new SentimentScore(
        sentences, missing, correct, new long[][] {confusion[0].clone(), confusion[1].clone()});
  }
}
