package dev.rillet.elmo;

import java.util.Objects;
import org.apache.flink.annotation.Internal;

/**
 * One token of a stream's open sentence, as {@link SentenceElmo} keeps it in keyed state until the
 * sentence closes: the token, where it came from, and the tag the real-time tagger gave it.
 *
 * <p>A Flink POJO (public fields, no-arg constructor), so the list state holding it is serialized
 * by the POJO serializer, never Kryo.
 *
 * <p>Stays in {@code dev.rillet.elmo}: the POJO serializer writes this class's name into every
 * checkpoint and savepoint, so moving or renaming it would make old savepoints unrestorable.
 */
@Internal
public final class OpenToken {
  public String text;

  /** Absolute position of the token in its stream. */
  public long position;

  /** seq of the event that carried the token. */
  public long seq;

  /** Offsets of the token in its event's text (UTF-16 chars, end exclusive). */
  public int begin;

  public int end;

  /** Index of the sentence the token belongs to. */
  public long sentenceIndex;

  /** The real-time tag, or null when the upstream tagger gave none. */
  public String realtimeTag;

  public OpenToken() {}

  public OpenToken(
      String text,
      long position,
      long seq,
      int begin,
      int end,
      long sentenceIndex,
      String realtimeTag) {
    this.text = text;
    this.position = position;
    this.seq = seq;
    this.begin = begin;
    this.end = end;
    this.sentenceIndex = sentenceIndex;
    this.realtimeTag = realtimeTag;
  }

  @Override
  public boolean equals(Object o) {
    if (!(o instanceof OpenToken)) {
      return false;
    }
    OpenToken t = (OpenToken) o;
    return position == t.position
        && seq == t.seq
        && begin == t.begin
        && end == t.end
        && sentenceIndex == t.sentenceIndex
        && Objects.equals(text, t.text)
        && Objects.equals(realtimeTag, t.realtimeTag);
  }

  @Override
  public int hashCode() {
    return Objects.hash(text, position, seq, begin, end, sentenceIndex, realtimeTag);
  }

  @Override
  public String toString() {
    return text + "@" + position + "#" + seq + (realtimeTag == null ? "" : "/" + realtimeTag);
  }
}
