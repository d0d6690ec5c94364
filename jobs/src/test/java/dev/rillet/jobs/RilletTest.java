package dev.rillet.jobs;

import static org.assertj.core.api.Assertions.assertThat;

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
            new PrintStream(out, true, StandardCharsets.UTF_8),
            new PrintStream(err, true, StandardCharsets.UTF_8));
    assertThat(code).isEqualTo(2);
    assertThat(err.toString(StandardCharsets.UTF_8)).contains("--bootstrap-servers is required");

    err.reset();
    code =
        Rillet.run(
            new String[] {"live", "--bootstrap-servers", "h:1", "--model", "/nonexistent/model"},
            new PrintStream(out, true, StandardCharsets.UTF_8),
            new PrintStream(err, true, StandardCharsets.UTF_8));
    assertThat(code).isEqualTo(2);
    assertThat(err.toString(StandardCharsets.UTF_8))
        .contains("--model /nonexistent/model: no model package there")
        .contains("models/rillet-gru");

    assertThat(Rillet.run(new String[] {"frobnicate"}, new PrintStream(out), new PrintStream(err)))
        .isEqualTo(2);
  }
}
