package dev.rillet.kafka;

import java.time.Duration;
import java.util.Objects;
import org.apache.flink.annotation.PublicEvolving;
import org.apache.flink.api.common.eventtime.BoundedOutOfOrdernessWatermarks;
import org.apache.flink.api.common.eventtime.WatermarkGenerator;
import org.apache.flink.api.common.eventtime.WatermarkOutput;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;

/**
 * Event time of Rillet's input, for {@code env.fromSource(source, strategy, name)}: the Kafka
 * source runs one generator per partition (split) and its watermark is the minimum over its
 * partitions, and each downstream operator takes the minimum over the source's subtasks. So the
 * job's watermark never passes an event that is still unread in some partition, however the reader
 * interleaves partitions (a backlog is handed over one partition's batch after another).
 *
 * <ul>
 *   <li>Timestamps: a record's {@link KafkaInputRecord#eventTime}; a record without one (it will be
 *       dead-lettered) keeps its Kafka record timestamp.
 *   <li>Watermarks: per partition, the newest event time read minus the max out-of-orderness (minus
 *       1 ms). Records without an event time never move it.
 *   <li>Idleness: a partition from which no record came for {@code idleTimeout} is left out of the
 *       minimum until its next record, so a partition without traffic does not hold the watermark
 *       forever. The timeout runs on Flink's source activity clock, which stands still while the
 *       source is back-pressured (or paused), as it is when the job reads a backlog: a partition
 *       whose records wait behind another's batch is not declared idle for that wait. A partition
 *       that delivers nothing for longer than the timeout while the job keeps up (a broker outage)
 *       and then resumes with older event times has those events behind the watermark; a longer
 *       timeout makes that rarer, at the cost of idle-gap closes waiting up to that long when a
 *       partition falls quiet.
 *   <li>No watermark alignment: the minimum already keeps every partition's events ahead of the
 *       watermark; a partition read ahead of the others only has its timers wait, which changes no
 *       output (see {@code SentenceSegmenter}), while alignment would pause its reading.
 * </ul>
 */
@PublicEvolving
public final class InputWatermarks {
  private InputWatermarks() {}

  /**
   * The strategy of the input source.
   *
   * @param maxOutOfOrderness how far, in event time, a partition's events may come after a newer
   *     event of the same partition
   * @param idleTimeout a partition without records for this long (source activity time) stops
   *     holding the watermark; zero turns idleness detection off
   */
  public static WatermarkStrategy<KafkaInputRecord> strategy(
      Duration maxOutOfOrderness, Duration idleTimeout) {
    Objects.requireNonNull(maxOutOfOrderness, "maxOutOfOrderness");
    Objects.requireNonNull(idleTimeout, "idleTimeout");
    if (maxOutOfOrderness.isNegative()) {
      throw new IllegalArgumentException(
          "max out-of-orderness must not be negative: " + maxOutOfOrderness);
    }
    if (idleTimeout.isNegative()) {
      throw new IllegalArgumentException("idle timeout must not be negative: " + idleTimeout);
    }
    WatermarkStrategy<KafkaInputRecord> strategy =
        WatermarkStrategy.<KafkaInputRecord>forGenerator(
                context -> new EventTimeOnly(maxOutOfOrderness))
            .withTimestampAssigner(
                (record, kafkaTimestamp) ->
                    record.hasEventTime() ? record.eventTime : kafkaTimestamp);
    return idleTimeout.isZero() ? strategy : strategy.withIdleness(idleTimeout);
  }

  /** Bounded out-of-orderness over the records that carry an event time; the others are skipped. */
  static final class EventTimeOnly implements WatermarkGenerator<KafkaInputRecord> {
    private final BoundedOutOfOrdernessWatermarks<KafkaInputRecord> bounded;

    EventTimeOnly(Duration maxOutOfOrderness) {
      bounded = new BoundedOutOfOrdernessWatermarks<>(maxOutOfOrderness);
    }

    @Override
    public void onEvent(KafkaInputRecord record, long timestamp, WatermarkOutput output) {
      if (record.hasEventTime()) {
        bounded.onEvent(record, record.eventTime, output);
      }
    }

    @Override
    public void onPeriodicEmit(WatermarkOutput output) {
      bounded.onPeriodicEmit(output);
    }
  }
}
