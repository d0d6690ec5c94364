package dev.rillet.jobs.backfill;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.rillet.jobs.RilletTestAccess;
import dev.rillet.kafka.KafkaOptions;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Bad ranges and topic settings fail at startup, with exit code 2 and a message naming the flag.
 */
class BackfillCommandLineTest {
  private static final Instant NOW = Instant.parse("2025-01-01T00:00:00Z");

  /** Runs {@code rillet backfill args}; returns exit code and stderr. */
  private static String[] run(String... args) {
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    String[] all = new String[args.length + 1];
    all[0] = "backfill";
    System.arraycopy(args, 0, all, 1, args.length);
    int rc = RilletTestAccess.run(new PrintStream(err, true, StandardCharsets.UTF_8), all);
    return new String[] {Integer.toString(rc), err.toString(StandardCharsets.UTF_8)};
  }

  @Test
  void anInputFileWithBadLinesNamesEveryOneBeforeAnythingRuns(@TempDir Path dir) throws Exception {
    Path file =
        Files.write(
            dir.resolve("bad.jsonl"),
            List.of(
                "{\"streamId\":\"a\",\"seq\":0,\"eventTime\":1,\"text\":\"fine\"}",
                "{\"streamId\":\"a\",\"seq\":-3,\"eventTime\":2,\"text\":\"x\"}",
                "",
                "{not json",
                "{\"streamId\":\"a\",\"seq\":4,\"eventTime\":3,\"text\":\"also fine\"}",
                "{\"streamId\":\"a\",\"seq\":5,\"text\":\"no time\"}"));
    assertThatThrownBy(
            () ->
                BackfillInput.file(
                    StreamExecutionEnvironment.getExecutionEnvironment(),
                    new Configuration(),
                    file,
                    new BackfillRange(0, 10, Duration.ZERO)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("--input-file " + file + ": 3 bad lines (no event used):")
        .hasMessageContaining("line 2: field 'seq' must be >= 0, got -3")
        .hasMessageContaining("line 4: invalid JSON")
        .hasMessageContaining("line 6: field 'eventTime' is missing")
        .hasMessageNotContaining("line 1:")
        .hasMessageNotContaining("line 5:");
  }

  @Test
  void unparseableFromNamesTheFlagAndTheForm() {
    String[] r = run("--from", "yesterday", "--to", "2024-01-01T00:00:00Z");
    assertThat(r[0]).isEqualTo("2");
    assertThat(r[1]).contains("--from", "'yesterday'", "2024-05-01T12:00:00Z");
  }

  @Test
  void reversedRangeFails() {
    String[] r = run("--from", "2024-01-02T00:00:00Z", "--to", "2024-01-01T00:00:00Z");
    assertThat(r[0]).isEqualTo("2");
    assertThat(r[1]).contains("--to", "is not after --from", "swap");
  }

  @Test
  void futureEndFails() {
    String[] r = run("--from", "2024-01-01T00:00:00Z", "--to", "2999-01-01T00:00:00Z");
    assertThat(r[0]).isEqualTo("2");
    assertThat(r[1]).contains("--to", "in the future");
  }

  @Test
  void negativeWarmupFails() {
    String[] r =
        run("--from", "2024-01-01T00:00:00Z", "--to", "2024-01-02T00:00:00Z", "--warmup", "-PT5M");
    assertThat(r[0]).isEqualTo("2");
    assertThat(r[1]).contains("--warmup", "'-PT5M'", "duration");

    Configuration conf = new Configuration();
    conf.set(BackfillOptions.FROM, "2024-01-01T00:00:00Z");
    conf.set(BackfillOptions.TO, "2024-01-02T00:00:00Z");
    conf.set(BackfillOptions.WARMUP, Duration.ofMinutes(-5));
    assertThatThrownBy(() -> BackfillRange.of(conf, NOW))
        .hasMessageContaining("--warmup")
        .hasMessageContaining("negative");
  }

  @Test
  void missingFromFails() {
    String[] r = run("--to", "2024-01-02T00:00:00Z");
    assertThat(r[0]).isEqualTo("2");
    assertThat(r[1]).contains("--from is required");
  }

  @Test
  void helpListsTheRangeOptions() {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    PrintStream old = System.out;
    System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
    try {
      assertThat(RilletTestAccess.run("backfill", "--help")).isZero();
    } finally {
      System.setOut(old);
    }
    assertThat(out.toString(StandardCharsets.UTF_8))
        .contains("--from", "--to", "--warmup", "--output-suffix", "--write-live-topics")
        .contains("--input-file", "--run-id")
        .doesNotContain("--checkpoint-interval", "--group-id");
  }

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
  void outputTopicsGetTheSuffixUnlessLiveTopicsAreAskedFor() {
    Configuration conf = new Configuration();
    Configuration job = BackfillJob.outputConfig(conf, "rillet-backfill-x");
    assertThat(job.get(KafkaOptions.TAGS_TOPIC)).isEqualTo("rillet.tags.backfill");
    assertThat(job.get(KafkaOptions.DEAD_LETTER_TOPIC)).isEqualTo("rillet.dead-letters.backfill");
    assertThat(job.get(KafkaOptions.GROUP_ID)).isEqualTo("rillet-backfill-x");
    assertThat(job.get(KafkaOptions.TRANSACTIONAL_ID_PREFIX)).isEqualTo("rillet-backfill-x");

    conf.set(BackfillOptions.WRITE_LIVE_TOPICS, true);
    assertThat(BackfillJob.outputConfig(conf, "r").get(KafkaOptions.TAGS_TOPIC))
        .isEqualTo("rillet.tags");

    Configuration empty = new Configuration();
    empty.set(BackfillOptions.OUTPUT_SUFFIX, "");
    assertThatThrownBy(() -> BackfillJob.outputConfig(empty, "r"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("--output-suffix")
        .hasMessageContaining("--write-live-topics");
  }
}
