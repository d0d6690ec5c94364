package dev.rillet.jobs.pipeline;

import dev.rillet.kafka.KafkaOptions;
import java.time.Duration;
import java.time.Instant;
import org.apache.flink.configuration.Configuration;

/**
 * The time range of a backfill: outputs for [{@link #from}, {@link #to}), input read from {@link
 * #readFrom} = from - warmup. All epoch milliseconds.
 */
public record BackfillRange(long from, long to, Duration warmup) {
  /** Where reading starts: the warm-up's first instant. */
  public long readFrom() {
    return from - warmup.toMillis();
  }

  /**
   * Reads and checks {@code --from}, {@code --to} and {@code --warmup}.
   *
   * @param now the current time; {@code --to} may not be after it
   * @throws IllegalArgumentException naming the flag, what is wrong and how to fix it
   */
  public static BackfillRange of(Configuration conf, Instant now) {
    long from = required(conf, BackfillOptions.FROM);
    long to = required(conf, BackfillOptions.TO);
    Duration warmup = conf.get(BackfillOptions.WARMUP);
    if (warmup.isNegative()) {
      throw new IllegalArgumentException(
          "--warmup "
              + warmup
              + " is negative: give the time to read before --from, e.g. --warmup PT30M, or PT0S"
              + " for none");
    }
    if (to <= from) {
      throw new IllegalArgumentException(
          "--to "
              + Instant.ofEpochMilli(to)
              + " is not after --from "
              + Instant.ofEpochMilli(from)
              + ": the range is [from, to); swap them or widen the range");
    }
    if (to > now.toEpochMilli()) {
      throw new IllegalArgumentException(
          "--to "
              + Instant.ofEpochMilli(to)
              + " is in the future (now is "
              + now
              + "): a backfill replays a range that has already happened; give --to "
              + now
              + " or earlier");
    }
    if (from - warmup.toMillis() > from) {
      throw new IllegalArgumentException("--warmup " + warmup + " is too long");
    }
    return new BackfillRange(from, to, warmup);
  }

  private static long required(
      Configuration conf, org.apache.flink.configuration.ConfigOption<String> option) {
    String value = conf.get(option);
    if (value == null) {
      throw new IllegalArgumentException(
          "--"
              + option.key()
              + " is required: an ISO-8601 instant like 2024-05-01T12:00:00Z or epoch"
              + " milliseconds");
    }
    try {
      return KafkaOptions.parseTimestamp("--" + option.key(), value);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(
          e.getMessage() + " (write it like --" + option.key() + " 2024-05-01T12:00:00Z)", e);
    }
  }

  @Override
  public String toString() {
    return "["
        + Instant.ofEpochMilli(from)
        + ", "
        + Instant.ofEpochMilli(to)
        + ") with warm-up from "
        + Instant.ofEpochMilli(readFrom());
  }
}
