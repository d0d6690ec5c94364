package dev.rillet.segment;

import org.apache.flink.annotation.Internal;

/**
 * Per-stream state of the {@link SentenceSegmenter}: mutable, owned by one stream (one Flink key).
 *
 * <p>Stored by {@link SegmenterStateSerializer} (a compact layout, never Kryo). It stays a Flink
 * POJO (public fields, no-arg constructor) with these field names and types: state from before that
 * serializer was written by Flink's POJO serializer, which reads it back by field name on restore.
 * A new instance ({@link #active} false) stands for a stream with no state: its next event is
 * treated as the first of a fresh stream.
 */
@Internal
public final class SegmenterState {
  /** False until the stream's first accepted event, and again after end of stream or expiry. */
  public boolean active;

  /** seq of the last accepted event; events with seq at or below it are dropped. */
  public long lastSeq = -1L;

  /** Event time of the last accepted event (never decreases); idle gap and TTL count from it. */
  public long lastEventTime;

  /** Absolute position the stream's next token gets. */
  public long nextPosition;

  /** Index of the open sentence, or of the next sentence when none is open. */
  public long sentenceIndex;

  /** Tokens in the open sentence; a sentence is open only when this is above 0. */
  public int openSentenceTokens;

  /**
   * Event time of the stream's pending timer ({@link Segmenter}), or {@link #NO_TIMER}. State from
   * before this field existed restores with {@link #NO_TIMER}: the next event registers a timer.
   */
  public long timerAt = NO_TIMER;

  /** {@link #timerAt} when no timer is known to be pending. */
  public static final long NO_TIMER = Long.MAX_VALUE;

  public SegmenterState() {}

  /** True when a sentence has at least one token and has not been closed yet. */
  public boolean hasOpenSentence() {
    return openSentenceTokens > 0;
  }

  /** A copy of this state (the serializer's copy: the fields are all values). */
  public SegmenterState copy() {
    SegmenterState c = new SegmenterState();
    c.active = active;
    c.lastSeq = lastSeq;
    c.lastEventTime = lastEventTime;
    c.nextPosition = nextPosition;
    c.sentenceIndex = sentenceIndex;
    c.openSentenceTokens = openSentenceTokens;
    c.timerAt = timerAt;
    return c;
  }

  /** Forgets the stream: the next event starts a fresh stream (positions and indices from 0). */
  public void release() {
    active = false;
    lastSeq = -1L;
    lastEventTime = 0L;
    nextPosition = 0L;
    sentenceIndex = 0L;
    openSentenceTokens = 0;
    timerAt = NO_TIMER;
  }

  @Override
  public String toString() {
    return "SegmenterState{active="
        + active
        + ", lastSeq="
        + lastSeq
        + ", lastEventTime="
        + lastEventTime
        + ", nextPosition="
        + nextPosition
        + ", sentenceIndex="
        + sentenceIndex
        + ", openSentenceTokens="
        + openSentenceTokens
        + ", timerAt="
        + timerAt
        + "}";
  }
}
