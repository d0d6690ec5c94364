package dev.rillet.kafka;

import org.apache.flink.annotation.PublicEvolving;

/**
 * Which time the Kafka sinks write as their records' timestamp ({@link
 * KafkaOptions#OUTPUT_TIMESTAMP}).
 *
 * <p>The choice matters beyond ordering: Kafka's time-based retention deletes a segment once its
 * newest timestamp is older than {@code retention.ms}, so outputs stamped with an old event time (a
 * backfill of last month, a replayed archive) disappear at the broker's next retention check
 * however recently they were written.
 */
@PublicEvolving
public enum OutputTimestamp {
  /** The event time of the input event the record derives from (Flink's record timestamp). */
  EVENT_TIME,
  /** No timestamp from the job: the producer stamps the time it writes the record. */
  WRITE_TIME
}
