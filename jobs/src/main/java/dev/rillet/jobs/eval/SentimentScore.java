package dev.rillet.jobs.eval;

/**
 * Sentence sentiment figures over a set of gold sentences: binary (SST-2) or more classes (SST-5).
 *
 * @param sentences gold sentences scored
 * @param missing gold sentences with no prediction (counted as wrong, not in the matrix)
 * @param correct sentences whose prediction equals the gold label
 * @param confusion counts {@code [gold][predicted]}: 0 negative, 1 positive for SST-2; 0 very
 *     negative .. 4 very positive for SST-5
 */
public record SentimentScore(long sentences, long missing, long correct, long[][] confusion) {
  /** Correct / all gold sentences (0 when there are none). */
  public double accuracy() {
    return UposScore.ratio(correct, sentences);
  }

  /** Number of classes (2 for SST-2, 5 for SST-5). */
  public int classes() {
    return confusion.length;
  }

  /** Counts of gold label {@code gold} predicted as {@code predicted}. */
  public long count(int gold, int predicted) {
    return confusion[gold][predicted];
  }
}
