package dev.rillet.jobs.eval;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Scores predicted tags against UD gold words: any tagger's tokens with offsets (real-time tags of
 * the recurrent operator, revised tags of a sentence model) against the gold syntactic words of the
 * same sentence. Accumulates sentence by sentence; {@link #score()} gives the figures so far.
 *
 * <p>Alignment is exact: a gold word is aligned with the predicted token that has the same begin
 * and end offsets in the sentence text. A gold word without one (tokenization disagreed, or the
 * word could not be located) counts as wrong.
 */
public final class UposEvaluation {
  private long sentences;
  private long missingSentences;
  private long words;
  private long unlocated;
  private long aligned;
  private long correct;

  /** Gold tag -> {words, aligned, correct}. */
  private final Map<String, long[]> perTag = new TreeMap<>();

  /** "gold\tpredicted" -> count, for aligned words with different tags. */
  private final Map<String, long[]> confusions = new HashMap<>();

  /** Scores whole sets: each gold sentence against the prediction for its id (missing = wrong). */
  public static UposScore score(
      List<UdSentence> gold, Map<String, List<PredictedToken>> predictedBySentence) {
    UposEvaluation evaluation = new UposEvaluation();
    for (UdSentence s : gold) {
      evaluation.add(s, predictedBySentence.get(s.id()));
    }
    return evaluation.score();
  }

  /**
   * Adds one sentence.
   *
   * @param predicted the predicted tokens of the sentence, offsets in {@code gold.text()}; null
   *     when the tagger gave nothing for it (every word then counts as wrong)
   */
  public void add(UdSentence gold, List<PredictedToken> predicted) {
    sentences++;
    if (predicted == null) {
      missingSentences++;
      predicted = List.of();
    }
    int[] match = align(gold.words(), predicted);
    for (int i = 0; i < match.length; i++) {
      GoldWord w = gold.words().get(i);
      long[] tag = perTag.computeIfAbsent(w.upos(), k -> new long[3]);
      words++;
      tag[0]++;
      if (!w.located()) {
        unlocated++;
      }
      if (match[i] < 0) {
        continue;
      }
      aligned++;
      tag[1]++;
      String p = predicted.get(match[i]).tag();
      if (p.equals(w.upos())) {
        correct++;
        tag[2]++;
      } else {
        confusions.computeIfAbsent(w.upos() + "\t" + p, k -> new long[1])[0]++;
      }
    }
  }

  /**
   * For each gold word, the index of the predicted token with exactly its offsets, or -1. Pure:
   * works for predicted tokens in any order.
   */
  public static int[] align(List<GoldWord> gold, List<PredictedToken> predicted) {
    Map<Long, Integer> byRange = new HashMap<>(predicted.size() * 2);
    for (int i = 0; i < predicted.size(); i++) {
      PredictedToken t = predicted.get(i);
      byRange.putIfAbsent(range(t.begin(), t.end()), i);
    }
    int[] match = new int[gold.size()];
    for (int i = 0; i < match.length; i++) {
      GoldWord w = gold.get(i);
      Integer m = w.located() ? byRange.get(range(w.begin(), w.end())) : null;
      match[i] = m == null ? -1 : m;
    }
    return match;
  }

  private static long range(int begin, int end) {
    return ((long) begin << 32) | (end & 0xffffffffL);
  }

  /** The figures of every sentence added so far. */
  public UposScore score() {
    List<UposScore.TagScore> tags = new ArrayList<>();
    perTag.forEach((tag, c) -> tags.add(new UposScore.TagScore(tag, c[0], c[1], c[2])));
    List<UposScore.Confusion> pairs = new ArrayList<>();
    confusions.forEach(
        (key, c) -> {
          int tab = key.indexOf('\t');
          pairs.add(new UposScore.Confusion(key.substring(0, tab), key.substring(tab + 1), c[0]));
        });
    pairs.sort(
        Comparator.comparingLong(UposScore.Confusion::count)
            .reversed()
            .thenComparing(UposScore.Confusion::gold)
            .thenComparing(UposScore.Confusion::predicted));
    return new UposScore(
        sentences, missingSentences, words, unlocated, aligned, correct, tags, pairs);
  }
}
