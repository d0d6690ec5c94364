package dev.rillet.jobs.eval;

import java.util.List;

/**
 * UPOS figures over a set of gold sentences. Every gold syntactic word counts: one with no exactly
 * aligned predicted token (same begin and end in the sentence text) counts as wrong.
 *
 * @param sentences gold sentences scored
 * @param missingSentences gold sentences for which no prediction was given (all their words wrong)
 * @param words gold words
 * @param unlocatedWords gold words whose offsets in the text could not be found (never aligned)
 * @param alignedWords gold words with an exactly aligned predicted token
 * @param correctWords aligned gold words whose predicted tag equals the gold tag
 * @param perTag figures per gold tag, ordered by tag
 * @param confusions (gold, predicted) pairs of aligned words with different tags, most frequent
 *     first (ties by gold then predicted tag)
 */
public record UposScore(
    long sentences,
    long missingSentences,
    long words,
    long unlocatedWords,
    long alignedWords,
    long correctWords,
    List<TagScore> perTag,
    List<Confusion> confusions) {

  public UposScore {
    perTag = List.copyOf(perTag);
    confusions = List.copyOf(confusions);
  }

  /** Correctly tagged gold words / all gold words (0 when there are none). */
  public double accuracy() {
    return ratio(correctWords, words);
  }

  /** Gold words with an exactly aligned predicted token / all gold words. */
  public double coverage() {
    return ratio(alignedWords, words);
  }

  /** Correctly tagged / aligned gold words: the tagger's accuracy where tokenization agreed. */
  public double accuracyOnAligned() {
    return ratio(correctWords, alignedWords);
  }

  /** The first {@code n} confusions. */
  public List<Confusion> topConfusions(int n) {
    return confusions.subList(0, Math.min(n, confusions.size()));
  }

  static double ratio(long a, long b) {
    return b == 0 ? 0 : (double) a / b;
  }

  /** Figures of one gold tag. */
  public record TagScore(String tag, long words, long aligned, long correct) {
    /** Correct / gold words of this tag. */
    public double accuracy() {
      return ratio(correct, words);
    }
  }

  /** Aligned gold words tagged {@code gold} that were predicted as {@code predicted}. */
  public record Confusion(String gold, String predicted, long count) {}
}
