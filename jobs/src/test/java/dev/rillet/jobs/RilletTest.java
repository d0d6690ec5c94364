package dev.rillet.jobs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;

import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtProvider;
import dev.rillet.jobs.cli.CommandContext;
import dev.rillet.testutils.TestModels;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RilletTest {
  @Test
  void launcherReportsUsageErrorsWithExitCode2() {
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    int code =
        Rillet.run(
            new String[] {"live", "--model", "/nonexistent/model"},
            CommandContext.of(
                new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8)));
    assertThat(code).isEqualTo(2);
    assertThat(err.toString(StandardCharsets.UTF_8)).contains("--bootstrap-servers is required");

    err.reset();
    code =
        Rillet.run(
            new String[] {"live", "--bootstrap-servers", "h:1", "--model", "/nonexistent/model"},
            CommandContext.of(
                new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8)));
    assertThat(code).isEqualTo(2);
    assertThat(err.toString(StandardCharsets.UTF_8))
        .contains("--model /nonexistent/model: no model package there")
        .contains("models/rillet-gru");

    assertThat(
            Rillet.run(
                new String[] {"frobnicate"},
                CommandContext.of(new PrintStream(out), new PrintStream(err))))
        .isEqualTo(2);
  }

  /**
   * A size below 1 fails as the command line is read: exit 2, the flag named, and no state
   * directory made (it used to fail in the tagger's builder, after "starting fresh" and the
   * directory, naming the builder's maxBatchSize).
   */
  @Test
  void aSizeBelowOneFailsBeforeTheStateDirectoryIsMade(@TempDir Path tmp) {
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    Path state = tmp.resolve("state");
    int code =
        Rillet.run(
            new String[] {
              "live",
              "--bootstrap-servers",
              "h:1",
              "--elmo",
              "none",
              "--state-dir",
              state.toString(),
              "--max-batch-size",
              "0"
            },
            CommandContext.of(
                new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8)));
    assertThat(code).isEqualTo(2);
    assertThat(err.toString(StandardCharsets.UTF_8))
        .contains("option --max-batch-size: cannot use '0': expected integer >= 1")
        .doesNotContain("starting fresh");
    assertThat(state).doesNotExist();
  }

  /** A bad --execution-provider fails at startup, exit 2, with the message and no stack trace. */
  @Test
  void executionProviderProblemsAreUsageErrors() {
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    PrintStream out = new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8);
    int code =
        Rillet.run(
            new String[] {"bench", "tagger", "--execution-provider", "tpu"},
            CommandContext.of(out, new PrintStream(err, true, StandardCharsets.UTF_8)));
    assertThat(code).isEqualTo(2);
    assertThat(err.toString(StandardCharsets.UTF_8)).contains("execution-provider").contains("tpu");

    assumeThat(OrtEnvironment.getAvailableProviders()).doesNotContain(OrtProvider.CUDA);
    err.reset();
    code =
        Rillet.run(
            new String[] {
              "bench",
              "tagger",
              "--model",
              TestModels.get("test-gru").toString(),
              "--execution-provider",
              "cuda",
              "--streams",
              "2",
              "--tokens",
              "20"
            },
            CommandContext.of(out, new PrintStream(err, true, StandardCharsets.UTF_8)));
    assertThat(code).isEqualTo(2);
    assertThat(err.toString(StandardCharsets.UTF_8))
        .contains("--execution-provider cuda: this build's ONNX Runtime has no CUDA provider")
        .contains("-Pgpu")
        .doesNotContain("\tat ");
  }
}
