package dev.rillet.jobs.elmo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.rillet.elmo.ElmoFixture;
import dev.rillet.jobs.cli.RilletTestAccess;
import org.junit.jupiter.api.Test;

class ElmoBenchCommandTest {
  @Test
  void flopsPerTokenMatchThePublishedSizes() {
    // REFERENCE.md: small ~44 MFLOP/token, original ~204 (of which the biLSTM 151).
    assertThat(ElmoBenchCommand.flopsPerToken(ElmoBenchCommand.publishedShape(false)) / 1e6)
        .isCloseTo(44.4, within(0.5));
    assertThat(ElmoBenchCommand.flopsPerToken(ElmoBenchCommand.publishedShape(true)) / 1e6)
        .isCloseTo(204.3, within(0.5));
  }

  @Test
  void runsOnTheFixture() {
    ElmoFixture fixture = ElmoFixture.require();
    int code =
        RilletTestAccess.run(
            "bench",
            "elmo",
            "--models",
            fixture.dir.toString(),
            "--batch-sizes",
            "1,4",
            "--tokens",
            "40");
    assertThat(code).isZero();
  }
}
