package dev.rillet.jobs.pipeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.time.Instant;
import org.apache.flink.configuration.Configuration;
import org.junit.jupiter.api.Test;

/** The range of a backfill from its options: instants or epoch millis, and a warm-up before. */
class BackfillRangeTest {
  private static final Instant NOW = Instant.parse("2025-01-01T00:00:00Z");

  @Test
  void rangeOfAcceptsInstantsAndEpochMillis() {
    Configuration conf = new Configuration();
    conf.set(BackfillOptions.FROM, "2024-01-01T00:00:00Z");
    conf.set(
        BackfillOptions.TO, Long.toString(Instant.parse("2024-01-01T01:00:00Z").toEpochMilli()));
    conf.set(BackfillOptions.WARMUP, Duration.ofMinutes(10));
    BackfillRange range = BackfillRange.of(conf, NOW);
    assertThat(range.readFrom()).isEqualTo(Instant.parse("2023-12-31T23:50:00Z").toEpochMilli());
    assertThat(range.to() - range.from()).isEqualTo(3_600_000L);
  }

  @Test
  void negativeWarmupFails() {
    Configuration conf = new Configuration();
    conf.set(BackfillOptions.FROM, "2024-01-01T00:00:00Z");
    conf.set(BackfillOptions.TO, "2024-01-02T00:00:00Z");
    conf.set(BackfillOptions.WARMUP, Duration.ofMinutes(-5));
    assertThatThrownBy(() -> BackfillRange.of(conf, NOW))
        .hasMessageContaining("--warmup")
        .hasMessageContaining("negative");
  }
}
