package dev.rillet.segment;

import java.util.Objects;
import org.apache.flink.annotation.PublicEvolving;

/**
 * One token of a {@link SegmentedEvent}: its text, where it sits in the event's text, its absolute
 * position in the stream, and whether a sentence ends after it.
 *
 * <p>A Flink POJO (public fields, no-arg constructor) so it travels between operators without Kryo.
 */
@PublicEvolving
public final class SegmentedToken {
  /** Token text exactly as it appears in the event's text. */
  public String text;

  /** Offset of the first UTF-16 char in the event's text. */
  public int begin;

  /** Offset one past the last UTF-16 char in the event's text. */
  public int end;

  /** Absolute position of the token in its stream, from 0. */
  public long position;

  /** Index (in the stream, from 0) of the sentence this token belongs to. */
  public long sentenceIndex;

  /** Non-null when a sentence ends right after this token: the reason it ends. */
  public SentenceEnd sentenceEnd;

  public SegmentedToken() {}

  public SegmentedToken(
      String text, int begin, int end, long position, long sentenceIndex, SentenceEnd sentenceEnd) {
    this.text = text;
    this.begin = begin;
    this.end = end;
    this.position = position;
    this.sentenceIndex = sentenceIndex;
    this.sentenceEnd = sentenceEnd;
  }

  @Override
  public boolean equals(Object o) {
    if (!(o instanceof SegmentedToken)) {
      return false;
    }
    SegmentedToken t = (SegmentedToken) o;
    return begin == t.begin
        && end == t.end
        && position == t.position
        && sentenceIndex == t.sentenceIndex
        && Objects.equals(text, t.text)
        && sentenceEnd == t.sentenceEnd;
  }

  @Override
  public int hashCode() {
    return Objects.hash(text, begin, end, position, sentenceIndex, sentenceEnd);
  }

  @Override
  public String toString() {
    return text
        + "@"
        + position
        + "["
        + begin
        + ","
        + end
        + ")"
        + (sentenceEnd == null ? "" : "|" + sentenceEnd);
  }
}
