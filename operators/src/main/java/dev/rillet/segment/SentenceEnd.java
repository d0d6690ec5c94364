package dev.rillet.segment;

import org.apache.flink.annotation.PublicEvolving;

/** Why a sentence ended. Written into {@code SentenceAnalysis.closedBy}. */
@PublicEvolving
public enum SentenceEnd {
  /** Terminal punctuation (., !, ?, …), plus any closing quotes or brackets that follow it. */
  TERMINATOR,
  /** The stream's end-of-stream event. */
  END_OF_STREAM,
  /** No event for longer than the idle gap, in event time. */
  IDLE_GAP,
  /** The sentence reached the configured maximum number of tokens. */
  MAX_LENGTH,
  /** The stream's state expired (idle longer than the TTL) while a sentence was open. */
  EXPIRED
}
