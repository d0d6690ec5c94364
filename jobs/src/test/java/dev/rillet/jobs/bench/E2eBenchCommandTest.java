package dev.rillet.jobs.bench;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rillet.jobs.CommandOutput;
import dev.rillet.testutils.TestModels;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Runs {@code bench e2e} at a tiny size: the table's shape and that it measured something. */
class E2eBenchCommandTest {
  @Test
  void printsOneRowPerStepWithMeasuredFigures() {
    CommandOutput bench =
        CommandOutput.run(
            "bench",
            "e2e",
            "--model",
            TestModels.get("test-gru").toString(),
            "--elmo",
            "none",
            "--parallelisms",
            "1",
            "--streams",
            "20",
            "--words-per-event",
            "3",
            "--ramp-start",
            "200",
            "--ramp-max",
            "200",
            "--fractions",
            "0.5",
            "--step-duration",
            "1s",
            "--warmup",
            "1s",
            "--checkpoint-intervals",
            "500ms",
            "--committed-duration",
            "1s",
            "--baseline-windows",
            "4",
            "--baseline-duration",
            "100ms",
            "--compare-buffer-timeouts",
            "5ms");
    String out = bench.out();
    System.out.print(out); // the table, for the test's log
    assertThat(bench.code()).as(bench.err()).isZero();
    assertThat(out).contains("summary (emit = ").contains("stateless baseline:");

    List<String[]> rows = new ArrayList<>();
    boolean summary = false;
    for (String line : out.split("\n")) {
      if (line.startsWith("summary")) {
        summary = true;
      } else if (summary && line.isBlank()) {
        break;
      } else if (summary && !line.startsWith("p ")) {
        rows.add(line.replace("|", " ").trim().split("\\s+"));
      }
    }
    assertThat(rows).isNotEmpty();
    assertThat(rows.get(0)[4]).isEqualTo("ramp");
    for (String[] r : rows) {
      // p guarantee ckpt buf phase target tokens/s sent/s emit(4) seen(4) lag behind ok
      assertThat(r).hasSize(19);
      assertThat(Double.parseDouble(r[6])).as("tokens/s of %s", String.join(" ", r)).isPositive();
      assertThat(Long.parseLong(r[11])).as("emit max").isGreaterThanOrEqualTo(Long.parseLong(r[8]));
      assertThat(Long.parseLong(r[15])).as("seen max").isPositive();
      assertThat(r[18]).isIn("yes", "NO");
    }
    // The main jobs run the live job's buffer timeout; the comparison adds one job per value.
    assertThat(rows.get(0)[3]).isEqualTo("10ms");
    assertThat(rows.stream().map(r -> r[3])).contains("5ms");
    assertThat(rows.stream().map(r -> r[1])).contains("none");
    if (rows.stream().anyMatch(r -> r[1].equals("exactly-once"))) {
      String[] committed = rows.stream().filter(r -> r[1].equals("exactly-once")).findFirst().get();
      assertThat(committed[2]).isEqualTo("500ms");
    }
    assertThat(out).contains("stateless, last 4 tokens [1, 4]");
    assertThat(E2eBenchCommand.parseDuration("500ms")).isEqualTo(Duration.ofMillis(500));
  }
}
