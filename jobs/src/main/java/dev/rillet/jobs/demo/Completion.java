package dev.rillet.jobs.demo;

import dev.rillet.avro.SentenceAnalysis;
import dev.rillet.avro.StreamSentiment;
import dev.rillet.avro.TextEvent;
import dev.rillet.avro.TokenTag;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Which of the demo's streams have all their outputs committed, for {@code --exit-when-done}. A
 * stream is done when the tags and the sentiment of its last event with text are both committed:
 * they go through different sinks, whose transactions commit independently. With the sentence stage
 * on, its last sentence must also be analysed.
 */
final class Completion {
  private final Map<String, Long> lastSeqWithText = new HashMap<>();
  private final boolean sentences;
  private final Set<String> tagsDone = new HashSet<>();
  private final Set<String> sentimentDone = new HashSet<>();
  private final Set<String> sentencesDone = new HashSet<>();

  /**
   * @param events everything the demo feeds
   * @param sentences whether the sentence stage runs (and its outputs must arrive too)
   */
  Completion(List<TextEvent> events, boolean sentences) {
    this.sentences = sentences;
    for (TextEvent e : events) {
      if (!e.getText().isBlank()) {
        lastSeqWithText.merge(e.getStreamId(), e.getSeq(), Math::max);
      }
    }
  }

  void tagged(TokenTag t) {
    if (isLast(t.getStreamId(), t.getSeq())) {
      tagsDone.add(t.getStreamId());
    }
  }

  void sentiment(StreamSentiment s) {
    if (isLast(s.getStreamId(), s.getSeq())) {
      sentimentDone.add(s.getStreamId());
    }
  }

  void sentence(SentenceAnalysis a) {
    if (isLast(a.getStreamId(), a.getLastSeq())) {
      sentencesDone.add(a.getStreamId());
    }
  }

  /** True when every stream with text is done. */
  boolean allDone() {
    Set<String> streams = lastSeqWithText.keySet();
    return sentimentDone.containsAll(streams)
        && tagsDone.containsAll(streams)
        && (!sentences || sentencesDone.containsAll(streams));
  }

  private boolean isLast(String stream, long seq) {
    return lastSeqWithText.getOrDefault(stream, Long.MIN_VALUE) == seq;
  }
}
