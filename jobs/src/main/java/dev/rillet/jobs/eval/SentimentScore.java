package dev.rillet.jobs.eval;

/**
 * Binary sentiment figures over a set of gold sentences.
 *
 * @param sentences gold sentences scored
 * @param missing gold sentences with no prediction (counted as wrong, not in the matrix)
 * @param correct sentences whose prediction equals the gold label
 * @param confusion counts {@code [gold][predicted]}, 0 negative, 1 positive
 */
public record SentimentScore(long sentences, long missing, long correct, long[][] confusion) {
  /** Correct / all gold sentences (0 when there are none). */
  public double accuracy() {
    return UposScore.ratio(correct, sentences);
  }

  /** Counts of gold label {@code gold} predicted as {@code predicted}. */
  public long count(int gold, int predicted) {
    return confusion[gold][predicted];
  }
}
