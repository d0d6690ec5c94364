package dev.rillet.jobs.eval;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class SentimentEvaluationTest {
  private static final List<String> SNIPPET =
      List.of(
          "0 no movement , no yuks , not much of anything .",
          "1 a gorgeous , witty , seductive movie .",
          "",
          "1 it 's a charming and often affecting journey . ",
          "0 the plot is nothing but boilerplate clichés from start to finish ,");

  @Test
  void readsLabelsAndSentencesWithLineIds() {
    List<SstSentence> s = Sst.parse(SNIPPET, "sst2-test");
    assertThat(s)
        .extracting(SstSentence::id)
        .containsExactly("sst2-test-1", "sst2-test-2", "sst2-test-4", "sst2-test-5");
    assertThat(s).extracting(SstSentence::label).containsExactly(0, 1, 1, 0);
    assertThat(s.get(2).text()).isEqualTo("it 's a charming and often affecting journey .");
  }

  @Test
  void ptbBracketsAndQuotesBecomeTheCharactersTheyStandFor() {
    List<SstSentence> s =
        Sst.parse(
            List.of("1 the -lrb- very -rrb- `` best '' of ` 80s -lsb- -rsb- -lcb- -rcb- x-lrb-y"),
            "x");
    assertThat(s.get(0).text()).isEqualTo("the ( very ) \" best \" of ' 80s [ ] { } x-lrb-y");
  }

  @Test
  void badLinesAreRejectedWithTheirNumber() {
    assertThatThrownBy(() -> Sst.parse(List.of("1 fine", "positive great"), "x"))
        .hasMessageContaining("line 2 does not start with an integer label");
    assertThatThrownBy(() -> Sst.parse(List.of("1"), "x"))
        .hasMessageContaining("line 1 has a label but no sentence");
  }

  @Test
  void accuracyAndConfusionMatrix() {
    List<SstSentence> gold = Sst.parse(SNIPPET, "t");
    // t-1 gold 0 -> 0 ok; t-2 gold 1 -> 0 wrong; t-4 gold 1 -> 1 ok; t-5 gold 0: no prediction.
    SentimentScore score =
        SentimentEvaluation.score(gold, Map.of("t-1", 0, "t-2", 0, "t-4", 1, "other", 1));
    assertThat(score.sentences()).isEqualTo(4);
    assertThat(score.missing()).isEqualTo(1);
    assertThat(score.correct()).isEqualTo(2);
    assertThat(score.accuracy()).isCloseTo(0.5, within(1e-12));
    assertThat(score.count(0, 0)).isEqualTo(1);
    assertThat(score.count(0, 1)).isZero();
    assertThat(score.count(1, 0)).isEqualTo(1);
    assertThat(score.count(1, 1)).isEqualTo(1);
  }

  @Test
  void nonBinaryLabelsAreRejected() {
    SentimentEvaluation e = new SentimentEvaluation();
    assertThatThrownBy(() -> e.add(3, 1)).hasMessageContaining("gold label 3 is not binary");
    assertThatThrownBy(() -> e.add(1, 2)).hasMessageContaining("predicted label 2 is not binary");
  }

  @Test
  void fiveClassesScoreSst5WithAFullConfusionMatrix() {
    List<SstSentence> gold =
        Sst.parse(List.of("0 awful .", "4 superb .", "2 fine .", "3 good .", "1 weak ."), "f");
    // f-1 0 -> 1 wrong; f-2 4 -> 4 ok; f-3 2 -> 2 ok; f-4 3 -> 4 wrong; f-5 no prediction.
    SentimentScore score =
        SentimentEvaluation.score(gold, Map.of("f-1", 1, "f-2", 4, "f-3", 2, "f-4", 4), 5);
    assertThat(score.classes()).isEqualTo(5);
    assertThat(score.sentences()).isEqualTo(5);
    assertThat(score.missing()).isEqualTo(1);
    assertThat(score.correct()).isEqualTo(2);
    assertThat(score.accuracy()).isCloseTo(0.4, within(1e-12));
    assertThat(score.count(0, 1)).isEqualTo(1);
    assertThat(score.count(4, 4)).isEqualTo(1);
    assertThat(score.count(2, 2)).isEqualTo(1);
    assertThat(score.count(3, 4)).isEqualTo(1);
    SentimentEvaluation e = new SentimentEvaluation(5);
    assertThatThrownBy(() -> e.add(5, 0)).hasMessageContaining("gold label 5 is not in 0..4");
    assertThatThrownBy(() -> e.add(0, -1)).hasMessageContaining("predicted label -1 is not in");
  }

  @Test
  void labelNamesMapToPolarity() {
    assertThat(SentimentLabels.polarity("negative")).isZero();
    assertThat(SentimentLabels.polarity(" Positive ")).isEqualTo(1);
    assertThat(SentimentLabels.polarity("NEG")).isZero();
    assertThat(SentimentLabels.polarity("very positive")).isEqualTo(1);
    assertThat(SentimentLabels.polarity("0")).isZero();
    assertThat(SentimentLabels.polarity("1")).isEqualTo(1);
    assertThat(SentimentLabels.polarity("neutral")).isEqualTo(-1);
  }

  @Test
  void predictionFollowsTheLabelOrderOfTheModel() {
    SentimentLabels forward = SentimentLabels.of(List.of("negative", "positive"));
    SentimentLabels reversed = SentimentLabels.of(List.of("positive", "negative"));
    float[] p = {0.3f, 0.7f};
    assertThat(forward.predict(p)).isEqualTo(1);
    assertThat(reversed.predict(p)).isEqualTo(0);
    // Five classes: negative side 0.1 + 0.3, positive side 0.25 + 0.05, neutral ignored.
    SentimentLabels five =
        SentimentLabels.of(
            List.of("very negative", "negative", "neutral", "positive", "very positive"));
    assertThat(five.predict(new float[] {0.1f, 0.3f, 0.3f, 0.25f, 0.05f})).isZero();
    assertThat(five.predict(new float[] {0.1f, 0.1f, 0.3f, 0.25f, 0.25f})).isEqualTo(1);
  }

  @Test
  void aModelWithoutUsableSentimentLabelsFailsClearly() {
    assertThatThrownBy(() -> SentimentLabels.of(List.of()))
        .hasMessageContaining("no sentiment head")
        .hasMessageContaining("leave sst2 out of --tasks");
    assertThatThrownBy(() -> SentimentLabels.of(List.of("calm", "excited")))
        .hasMessageContaining("cannot map the model's sentiment labels [calm, excited]");
    assertThatThrownBy(() -> SentimentLabels.of(List.of("negative", "neutral")))
        .hasMessageContaining("negative/positive");
  }
}
