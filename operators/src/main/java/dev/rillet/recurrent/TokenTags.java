package dev.rillet.recurrent;

import dev.rillet.avro.StreamSentiment;
import dev.rillet.avro.TokenTag;
import dev.rillet.segment.SegmentedToken;
import java.util.HashMap;
import java.util.Map;
import org.apache.flink.annotation.PublicEvolving;
import org.apache.flink.api.common.functions.FlatMapFunction;
import org.apache.flink.util.Collector;

/**
 * Turns {@link TaggedEvent}s into the wire records: {@link TokenTag}s and {@link StreamSentiment}.
 */
@PublicEvolving
public final class TokenTags {
  private TokenTags() {}

  /** One {@link TokenTag} per token of the event, in token order. */
  public static final class ToTokenTags implements FlatMapFunction<TaggedEvent, TokenTag> {
    private static final long serialVersionUID = 1L;

    @Override
    public void flatMap(TaggedEvent t, Collector<TokenTag> out) {
      SegmentedToken[] tokens = t.event.tokens;
      for (int i = 0; i < tokens.length; i++) {
        SegmentedToken tok = tokens[i];
        out.collect(
            TokenTag.newBuilder()
                .setStreamId(t.event.streamId)
                .setSeq(t.event.seq)
                .setPosition(tok.position)
                .setToken(tok.text)
                .setBegin(tok.begin)
                .setEnd(tok.end)
                .setTag(t.tags[i])
                .setProbability(t.tagProbabilities[i])
                .setModelId(t.modelId)
                // The first token on the new model carries the mark; the rest continue from it.
                .setModelSwitched(i == 0 && t.modelSwitched)
                .build());
      }
    }
  }

  /**
   * One {@link StreamSentiment} per event that carries a sentiment reading (an event with at least
   * one token, from a model with a sentiment head).
   */
  public static final class ToStreamSentiment
      implements FlatMapFunction<TaggedEvent, StreamSentiment> {
    private static final long serialVersionUID = 1L;

    @Override
    public void flatMap(TaggedEvent t, Collector<StreamSentiment> out) {
      if (!t.hasSentiment()) {
        return;
      }
      float[] p = t.sentimentProbabilities;
      Map<String, Float> probabilities = new HashMap<>(p.length * 2);
      int best = 0;
      for (int s = 0; s < p.length; s++) {
        probabilities.put(t.sentimentLabels[s], p[s]);
        if (p[s] > p[best]) {
          best = s;
        }
      }
      out.collect(
          StreamSentiment.newBuilder()
              .setStreamId(t.event.streamId)
              .setSeq(t.event.seq)
              .setEventTime(t.event.eventTime)
              .setLabel(t.sentimentLabels[best])
              .setProbabilities(probabilities)
              .setTokensSeen(t.tokensSeen)
              .setModelId(t.modelId)
              .setModelSwitched(t.modelSwitched)
              .build());
    }
  }
}
