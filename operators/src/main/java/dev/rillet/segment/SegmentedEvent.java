package dev.rillet.segment;

import java.util.Arrays;
import java.util.Objects;
import org.apache.flink.annotation.PublicEvolving;

/**
 * What the segmenter hands downstream for one accepted input event (or one timer-driven sentence
 * close): the event's identity, its tokens with absolute positions and sentence ends.
 *
 * <p>Two kinds:
 *
 * <ul>
 *   <li>An <b>event</b> ({@code seq >= 0}): the tokens of one {@code TextEvent}, in order. If
 *       {@link #closedBefore} is non-null, the stream's open sentence was closed <em>before</em>
 *       this event's first token (idle gap exceeded, or state expired); the sentence's last token
 *       was emitted in an earlier event.
 *   <li>A <b>close marker</b> ({@code seq == }{@link #NO_SEQ}, no tokens): the watermark passed the
 *       idle gap ({@link #closedBefore} set) or the TTL ({@link #expired} set, and {@link
 *       #closedBefore} too if a sentence was open) with no new event.
 * </ul>
 *
 * <p>A Flink POJO (public fields, no-arg constructor; arrays, not lists) so it is serialized by
 * Flink's POJO serializer, never Kryo.
 */
@PublicEvolving
public final class SegmentedEvent {
  /** seq of a close marker, which belongs to no input event. */
  public static final long NO_SEQ = -1L;

  public String streamId;

  /** The input event's seq, or {@link #NO_SEQ} for a close marker. */
  public long seq;

  /** The input event's event time; for a close marker, the time at which the sentence closed. */
  public long eventTime;

  /** The input event's text ("" for a close marker). */
  public String text;

  /** True on the stream's end-of-stream event: state is released after it. */
  public boolean endOfStream;

  /**
   * True when the stream's state was reset before this event (first event ever, after end of
   * stream, or after expiry): downstream keyed state for the stream must start fresh too.
   */
  public boolean freshStream;

  /**
   * True on a close marker emitted because the stream was idle longer than the TTL: the stream's
   * state has been released and downstream operators release theirs. (An end-of-stream event
   * releases state too; that is {@link #endOfStream}.)
   */
  public boolean expired;

  /** Non-null when the open sentence closed before this event's tokens; why it closed. */
  public SentenceEnd closedBefore;

  /** Index of the sentence closed by {@link #closedBefore}; meaningless when that is null. */
  public long closedSentenceIndex;

  /**
   * Event time at which the sentence closed by {@link #closedBefore} ended: the idle-gap or expiry
   * deadline (the time the live job's timer fires), or this event's time for an end of stream. The
   * same whether the close comes from a timer (live) or from the stream's next event (replay, where
   * there are no watermarks before the end), so downstream outputs do not depend on which.
   * Meaningless when {@link #closedBefore} is null.
   */
  public long closedAt;

  /** The event's tokens in order (possibly empty, never null). */
  public SegmentedToken[] tokens;

  public SegmentedEvent() {}

  public SegmentedEvent(
      String streamId,
      long seq,
      long eventTime,
      String text,
      boolean endOfStream,
      boolean freshStream,
      boolean expired,
      SentenceEnd closedBefore,
      long closedSentenceIndex,
      SegmentedToken[] tokens) {
    this.streamId = streamId;
    this.seq = seq;
    this.eventTime = eventTime;
    this.text = text;
    this.endOfStream = endOfStream;
    this.freshStream = freshStream;
    this.expired = expired;
    this.closedBefore = closedBefore;
    this.closedSentenceIndex = closedSentenceIndex;
    this.tokens = tokens;
  }

  /** True for a timer-driven close marker that carries no input event. */
  public boolean isCloseMarker() {
    return seq == NO_SEQ;
  }

  @Override
  public boolean equals(Object o) {
    if (!(o instanceof SegmentedEvent)) {
      return false;
    }
    SegmentedEvent e = (SegmentedEvent) o;
    return seq == e.seq
        && eventTime == e.eventTime
        && endOfStream == e.endOfStream
        && freshStream == e.freshStream
        && expired == e.expired
        && closedSentenceIndex == e.closedSentenceIndex
        && closedAt == e.closedAt
        && Objects.equals(streamId, e.streamId)
        && Objects.equals(text, e.text)
        && closedBefore == e.closedBefore
        && Arrays.equals(tokens, e.tokens);
  }

  @Override
  public int hashCode() {
    return Objects.hash(streamId, seq, eventTime, text, endOfStream, closedBefore)
        + 31 * Arrays.hashCode(tokens);
  }

  @Override
  public String toString() {
    return "SegmentedEvent{"
        + streamId
        + "#"
        + seq
        + " t="
        + eventTime
        + (endOfStream ? " EOS" : "")
        + (freshStream ? " fresh" : "")
        + (expired ? " expired" : "")
        + (closedBefore == null ? "" : " closedBefore=" + closedBefore + ":" + closedSentenceIndex)
        + " "
        + Arrays.toString(tokens)
        + "}";
  }
}
