package dev.rillet.jobs.bench;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rillet.jobs.pipeline.ModelLocator;
import dev.rillet.jobs.pipeline.StateOptions;
import dev.rillet.testutils.TestModels;
import java.time.Duration;
import org.apache.flink.configuration.Configuration;
import org.junit.jupiter.api.Test;

/** Runs {@code bench state}'s measurement at a tiny size and checks what it measured. */
class StateBenchCommandTest {
  @Test
  void checkpointGrowsByEachStreamsHiddenStateAndTheSameTokensAreTagged() throws Exception {
    ModelLocator.CheckedModel model =
        ModelLocator.resolveAndCheck(TestModels.get("test-gru").toString());
    String[] words = {"the", "cat", "sat", "on", "a", "mat", "today", "."};
    Configuration conf = new Configuration();
    conf.set(StateBenchCommand.CHECKPOINT_INTERVAL, Duration.ofMillis(300));

    StateBenchCommand.Result few =
        StateBenchCommand.run(conf, model, words, 100, 1_200, StateOptions.Backend.HASHMAP);
    StateBenchCommand.Result many =
        StateBenchCommand.run(conf, model, words, 400, 1_200, StateOptions.Backend.HASHMAP);

    // test-gru: 2 layers of 24 floats of hidden state per stream.
    int hiddenStateBytes = 2 * 24 * Float.BYTES;
    assertThat(few.tokens()).isEqualTo(many.tokens()).isGreaterThanOrEqualTo(4 * 1_200);
    assertThat(many.checkpointBytes() - few.checkpointBytes())
        .isGreaterThanOrEqualTo(300L * hiddenStateBytes);
    assertThat(many.bytesPerStream()).isGreaterThan(hiddenStateBytes);
    assertThat(many.checkpoints()).isPositive();
  }
}
