package dev.rillet.jobs.backfill;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rillet.jobs.CommandOutput;
import dev.rillet.jobs.RilletTestAccess;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/**
 * Bad ranges and topic settings fail at startup, with exit code 2 and a message naming the flag.
 */
class BackfillCommandLineTest {
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
  }

  @Test
  void missingFromFails() {
    String[] r = run("--to", "2024-01-02T00:00:00Z");
    assertThat(r[0]).isEqualTo("2");
    assertThat(r[1]).contains("--from is required");
  }

  @Test
  void helpListsTheRangeOptions() {
    CommandOutput help = CommandOutput.run("backfill", "--help");
    assertThat(help.code()).isZero();
    assertThat(help.out())
        .contains("--from", "--to", "--warmup", "--output-suffix", "--write-live-topics")
        .contains("--input-file", "--run-id")
        .doesNotContain("--checkpoint-interval", "--group-id");
  }
}
