package dev.rillet.elmo;

import dev.rillet.recurrent.TaggedEvent;
import dev.rillet.segment.SegmentedEvent;
import dev.rillet.segment.SegmentedToken;
import dev.rillet.segment.SentenceEnd;
import java.util.ArrayList;
import java.util.List;

/**
 * Builds the tagged events of one stream as the segmenter and tagger would emit them: positions,
 * seqs and sentence indices advance, a token "." ends a sentence, every token carries a real-time
 * tag.
 */
final class SentenceFeed {
  static final String REALTIME_TAG = "NOUN";

  private final String stream;
  private long seq;
  private long position;
  private long sentence;

  SentenceFeed(String stream) {
    this.stream = stream;
  }

  /** The next event carrying whitespace-separated {@code text}. */
  TaggedEvent event(String text) {
    return event(text, null);
  }

  /** The next event; {@code closedBefore} closes the open sentence before its first token. */
  TaggedEvent event(String text, SentenceEnd closedBefore) {
    String[] words = text.isEmpty() ? new String[0] : text.split(" ");
    long closedIndex = sentence - 1;
    if (closedBefore != null) {
      closedIndex = sentence;
      sentence++;
    }
    SegmentedToken[] tokens = new SegmentedToken[words.length];
    int at = 0;
    for (int i = 0; i < words.length; i++) {
      boolean end = words[i].equals(".");
      tokens[i] =
          new SegmentedToken(
              words[i],
              at,
              at + words[i].length(),
              position++,
              sentence,
              end ? SentenceEnd.TERMINATOR : null);
      at += words[i].length() + 1;
      if (end) {
        sentence++;
      }
    }
    SegmentedEvent e =
        new SegmentedEvent(
            stream,
            seq,
            1000 * seq,
            text,
            false,
            seq == 0,
            false,
            closedBefore,
            closedIndex,
            tokens);
    if (closedBefore != null) {
      e.closedAt = 1000 * seq - 1;
    }
    seq++;
    String[] tags = new String[words.length];
    java.util.Arrays.fill(tags, REALTIME_TAG);
    return new TaggedEvent(
        e, tags, new float[words.length], new float[0], new String[0], position, "test");
  }

  /** The stream's sentences from a list of texts, one event each. */
  static List<TaggedEvent> sentences(String stream, List<String> texts) {
    SentenceFeed feed = new SentenceFeed(stream);
    List<TaggedEvent> out = new ArrayList<>();
    for (String t : texts) {
      out.add(feed.event(t));
    }
    return out;
  }
}
