package dev.rillet.jobs.eval;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.rillet.tokenize.Token;
import dev.rillet.tokenize.WordTokenizer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class UposEvaluationTest {
  private final List<UdDocument> docs = Conllu.parse(ConlluTest.SNIPPET);
  private final UdSentence first = docs.get(0).sentences().get(0); // I do n't know , Mr. Smith .

  private static PredictedToken t(String text, int begin, int end, String tag) {
    return new PredictedToken(text, begin, end, tag);
  }

  @Test
  void alignsByExactOffsetsWhateverTheOrder() {
    List<PredictedToken> predicted =
        List.of(
            t("n't", 4, 7, "PART"),
            t("I", 0, 1, "PRON"),
            t("do", 2, 4, "AUX"),
            t("kn", 8, 10, "X"));
    int[] match = UposEvaluation.align(first.words(), predicted);
    assertThat(match).containsExactly(1, 2, 0, -1, -1, -1, -1, -1);
  }

  @Test
  void theRealTokenizerAlignsWithContractionsAndPunctuation() {
    List<PredictedToken> predicted = new ArrayList<>();
    for (Token tok : new WordTokenizer().tokenize(first.text())) {
      predicted.add(t(tok.text(), tok.begin(), tok.end(), "NOUN"));
    }
    int[] match = UposEvaluation.align(first.words(), predicted);
    assertThat(match).doesNotContain(-1);
  }

  @Test
  void accuracyCountsEveryGoldWordAndUnalignedWordsAsWrong() {
    // Gold: PRON AUX PART VERB PUNCT PROPN PROPN PUNCT.
    // "don't" kept whole (do, n't unaligned); "Smith." kept whole (Smith, . unaligned).
    List<PredictedToken> predicted =
        List.of(
            t("I", 0, 1, "PRON"),
            t("don't", 2, 7, "AUX"),
            t("know", 8, 12, "VERB"),
            t(",", 12, 13, "PUNCT"),
            t("Mr.", 14, 17, "NOUN"),
            t("Smith.", 18, 24, "PROPN"));
    UposScore score = UposEvaluation.score(List.of(first), Map.of("a-1", predicted));
    assertThat(score.words()).isEqualTo(8);
    assertThat(score.alignedWords()).isEqualTo(4); // I, know, ",", Mr.
    assertThat(score.correctWords()).isEqualTo(3); // Mr. tagged NOUN
    assertThat(score.accuracy()).isCloseTo(3 / 8.0, within(1e-12));
    assertThat(score.coverage()).isCloseTo(4 / 8.0, within(1e-12));
    assertThat(score.accuracyOnAligned()).isCloseTo(3 / 4.0, within(1e-12));
    assertThat(score.confusions()).containsExactly(new UposScore.Confusion("PROPN", "NOUN", 1));
    assertThat(score.perTag())
        .containsExactly(
            new UposScore.TagScore("AUX", 1, 0, 0),
            new UposScore.TagScore("PART", 1, 0, 0),
            new UposScore.TagScore("PRON", 1, 1, 1),
            new UposScore.TagScore("PROPN", 2, 1, 0),
            new UposScore.TagScore("PUNCT", 2, 1, 1),
            new UposScore.TagScore("VERB", 1, 1, 1));
  }

  @Test
  void aSentenceWithoutPredictionsCountsAllItsWordsWrong() {
    UdSentence second = docs.get(0).sentences().get(1);
    List<PredictedToken> all = new ArrayList<>();
    for (GoldWord w : first.words()) {
      all.add(t(w.form(), w.begin(), w.end(), w.upos()));
    }
    UposScore score = UposEvaluation.score(List.of(first, second), Map.of("a-1", all));
    assertThat(score.sentences()).isEqualTo(2);
    assertThat(score.missingSentences()).isEqualTo(1);
    assertThat(score.words()).isEqualTo(16);
    assertThat(score.correctWords()).isEqualTo(8);
    assertThat(score.accuracy()).isCloseTo(0.5, within(1e-12));
    assertThat(score.confusions()).isEmpty();
  }

  @Test
  void unlocatedGoldWordsNeverAlign() {
    UdSentence s = docs.get(1).sentences().get(0); // Wo n't fit :-) with text ":)"
    List<PredictedToken> predicted =
        List.of(
            t("Wo", 0, 2, "AUX"),
            t("n't", 3, 6, "PART"),
            t("fit", 7, 10, "VERB"),
            t(":)", 11, 13, "SYM"));
    UposScore score = UposEvaluation.score(List.of(s), Map.of("b-1", predicted));
    assertThat(score.unlocatedWords()).isEqualTo(1);
    assertThat(score.alignedWords()).isEqualTo(3);
    assertThat(score.correctWords()).isEqualTo(3);
    assertThat(score.accuracy()).isCloseTo(0.75, within(1e-12));
  }

  @Test
  void confusionsAreOrderedByCountThenTags() {
    UposEvaluation e = new UposEvaluation();
    UdSentence s = first;
    // Every word predicted X, except PROPN -> NOUN twice (two PROPN words).
    List<PredictedToken> predicted = new ArrayList<>();
    for (GoldWord w : s.words()) {
      predicted.add(t(w.form(), w.begin(), w.end(), w.upos().equals("PROPN") ? "NOUN" : "X"));
    }
    e.add(s, predicted);
    UposScore score = e.score();
    assertThat(score.topConfusions(3))
        .containsExactly(
            new UposScore.Confusion("PROPN", "NOUN", 2),
            new UposScore.Confusion("PUNCT", "X", 2),
            new UposScore.Confusion("AUX", "X", 1));
    assertThat(score.correctWords()).isZero();
  }
}
