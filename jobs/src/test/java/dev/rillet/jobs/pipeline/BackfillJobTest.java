package dev.rillet.jobs.pipeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.rillet.kafka.KafkaOptions;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A backfill's input file and output topics, checked before anything runs. */
class BackfillJobTest {
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
