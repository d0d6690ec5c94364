package dev.rillet.jobs.eval;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.rillet.avro.SentenceAnalysis;
import dev.rillet.avro.SentenceToken;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The rule that picks which segmenter sentence scores an SST sentence the segmenter split. */
class EvalPipelineTest {

  private static SentenceAnalysis part(long index, String... words) {
    List<SentenceToken> tokens = new ArrayList<>();
    int at = 0;
    for (String w : words) {
      tokens.add(
          SentenceToken.newBuilder()
              .setToken(w)
              .setPosition(tokens.size())
              .setSeq(0)
              .setBegin(at)
              .setEnd(at + w.length())
              .setTag("X")
              .setProbability(1f)
              .build());
      at += w.length() + 1;
    }
    return SentenceAnalysis.newBuilder()
        .setStreamId("sst2-test-1")
        .setSentenceIndex(index)
        .setFirstSeq(0)
        .setLastSeq(0)
        .setEventTime(0)
        .setClosedBy("TERMINATOR")
        .setTokens(tokens)
        .build();
  }

  @Test
  void theLongestPartScoresTheSentenceTheEarliestOnATie() {
    SentenceAnalysis a = part(0, "great", "fun", "!");
    SentenceAnalysis b = part(1, "i", "loved", "it", "so", ".");
    SentenceAnalysis c = part(2, "really", "!");
    assertThat(EvalPipeline.longest(List.of(a, b, c))).isSameAs(b);
    assertThat(EvalPipeline.longest(List.of(c, b, a))).isSameAs(b);
    SentenceAnalysis d = part(3, "so", "much", "fun", "!", "!");
    // b and d have 5 tokens each: the earlier sentence wins, whatever the order collected.
    assertThat(EvalPipeline.longest(List.of(d, b))).isSameAs(b);
    assertThat(EvalPipeline.longest(List.of(a))).isSameAs(a);
    assertThatThrownBy(() -> EvalPipeline.longest(List.of()))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
