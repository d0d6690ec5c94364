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
import org.junit.jupiter.api.Test;

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
