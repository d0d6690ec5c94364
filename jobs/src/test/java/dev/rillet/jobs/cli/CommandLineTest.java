package dev.rillet.jobs.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.rillet.jobs.demo.DemoOptions;
import dev.rillet.jobs.live.LiveCommand;
import dev.rillet.jobs.pipeline.PipelineOptions;
import dev.rillet.kafka.KafkaOptions;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.configuration.Configuration;
import org.junit.jupiter.api.Test;

class CommandLineTest {
  private final CommandLine live = new CommandLine("live", "test", new LiveCommand().options());

  @Test
  void parsesTypedValuesInBothSpellings() {
    Configuration c =
        live.parse(
            new String[] {
              "--bootstrap-servers", "h:9092", "--max-bundle-delay=20ms", "--parallelism", "3"
            });
    assertThat(c.get(KafkaOptions.BOOTSTRAP_SERVERS)).isEqualTo("h:9092");
    assertThat(c.get(PipelineOptions.MAX_BUNDLE_DELAY)).isEqualTo(Duration.ofMillis(20));
    assertThat(c.get(PipelineOptions.PARALLELISM)).isEqualTo(3);
    // Unset: the tagger picks it for the provider it finds where the model runs.
    assertThat(c.getOptional(PipelineOptions.MAX_BATCH_SIZE)).isEmpty();
    assertThat(
            live.parse(new String[] {"--max-batch-size", "100"})
                .get(PipelineOptions.MAX_BATCH_SIZE))
        .isEqualTo(100);
  }

  @Test
  void bareBooleanFlagMeansTrue() {
    CommandLine demo = new CommandLine("demo", "test", DemoOptions.all());
    assertThat(demo.parse(new String[] {"--exit-when-done"}).get(DemoOptions.EXIT_WHEN_DONE))
        .isTrue();
    assertThat(
            demo.parse(new String[] {"--exit-when-done", "false"}).get(DemoOptions.EXIT_WHEN_DONE))
        .isFalse();
  }

  @Test
  void badFlagsFailWithAMessageNamingTheFlagAndTheFix() {
    assertThatThrownBy(() -> live.parse(new String[] {"--parallelism", "many"}))
        .hasMessageContaining("--parallelism")
        .hasMessageContaining("'many'")
        .hasMessageContaining("integer");
    assertThatThrownBy(() -> live.parse(new String[] {"--max-bundle-delay", "soon"}))
        .hasMessageContaining("--max-bundle-delay")
        .hasMessageContaining("duration");
    assertThatThrownBy(() -> live.parse(new String[] {"--paralelism", "2"}))
        .hasMessageContaining("unknown option --paralelism")
        .hasMessageContaining("--parallelism");
    assertThatThrownBy(() -> live.parse(new String[] {"--model"}))
        .hasMessageContaining("--model needs a value");
    assertThatThrownBy(() -> live.parse(new String[] {"stray"}))
        .hasMessageContaining("unexpected argument 'stray'");
    assertThatThrownBy(() -> live.parse(new String[] {"--parallelism", "2", "--parallelism", "3"}))
        .hasMessageContaining("given twice");
  }

  @Test
  void countsAndSizesBelowOneFailWithTheFlagsName() {
    for (String flag :
        new String[] {
          "--parallelism",
          "--max-batch-size",
          "--max-bundle-tokens",
          "--max-chunk-tokens",
          "--intra-op-threads",
          "--elmo-max-batch-size",
          "--elmo-max-batch-tokens",
          "--elmo-max-bundle-tokens"
        }) {
      assertThatThrownBy(() -> live.parse(new String[] {flag, "0"}))
          .as(flag)
          .hasMessage("option " + flag + ": cannot use '0': expected integer >= 1");
      assertThat(live.parse(new String[] {flag, "1"}).toMap()).as(flag).hasSize(1);
    }
    // Options that are no counts keep accepting 0: 0 means "off" for them.
    assertThat(live.parse(new String[] {"--replay-tokens", "0"}).get(PipelineOptions.REPLAY_TOKENS))
        .isZero();
  }

  @Test
  void helpListsEveryOptionWithItsDefault() {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    live.printHelp(new PrintStream(bytes, true, StandardCharsets.UTF_8));
    String help = bytes.toString(StandardCharsets.UTF_8);
    for (ConfigOption<?> o : new LiveCommand().options()) {
      assertThat(help).contains("--" + o.key() + " <");
    }
    assertThat(help).contains("default: rillet.text").contains("default: 5 ms");
    assertThat(help).contains("--max-batch-size <integer >= 1>");
  }

  @Test
  void helpSaysBothDefaultsOfASizeThatDependsOnTheProvider() {
    String help = help();
    assertThat(help)
        .contains("--max-batch-size <integer >= 1>")
        .contains("default: 64 on CPU, 256 on CUDA")
        .contains("default: 256 on CPU, 1024 on CUDA")
        .contains("--elmo-max-batch-size <integer >= 1>")
        .contains("default: 32 on CPU, 128 on CUDA")
        .contains("default: 1024 on CPU, 4096 on CUDA")
        .contains("default: 2048 on CPU, 8192 on CUDA");
    String batch = help.substring(help.indexOf("--max-batch-size <"));
    batch = batch.substring(0, batch.indexOf("\n  --"));
    assertThat(batch).doesNotContain("(none)").containsOnlyOnce("default:");
    // Options that are simply unset still say so.
    assertThat(help).contains("--elmo-options <text>");
  }

  @Test
  void aProviderDependentSizeIsStillCheckedAsAnInteger() {
    assertThatThrownBy(() -> live.parse(new String[] {"--elmo-max-batch-size", "lots"}))
        .hasMessageContaining("--elmo-max-batch-size")
        .hasMessageContaining("integer");
  }

  private String help() {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    live.printHelp(new PrintStream(bytes, true, StandardCharsets.UTF_8));
    return bytes.toString(StandardCharsets.UTF_8);
  }
}
