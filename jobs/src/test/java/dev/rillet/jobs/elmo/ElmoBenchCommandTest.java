package dev.rillet.jobs.elmo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.rillet.elmo.runtime.ElmoModel;
import dev.rillet.jobs.RilletTestAccess;
import dev.rillet.jobs.cli.CommandLine;
import dev.rillet.testutils.ElmoFixture;
import dev.rillet.testutils.TestData;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ElmoBenchCommandTest {
  @Test
  void flopsPerTokenMatchThePublishedSizes() {
    // docs/elmo.md, "Published model sizes": small 44.4 MFLOP/token, original 204.3.
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

  @Test
  void cacheModesParse() {
    assertThat(ElmoBenchCommand.cacheModes("both"))
        .containsExactly(ElmoBenchCommand.CacheMode.OFF, ElmoBenchCommand.CacheMode.ON);
    assertThat(ElmoBenchCommand.cacheModes("on")).containsExactly(ElmoBenchCommand.CacheMode.ON);
    assertThat(ElmoBenchCommand.cacheModes(" off, split ,on,off"))
        .containsExactly(
            ElmoBenchCommand.CacheMode.OFF,
            ElmoBenchCommand.CacheMode.SPLIT,
            ElmoBenchCommand.CacheMode.ON);
    assertThatThrownBy(() -> ElmoBenchCommand.cacheModes("yes"))
        .isInstanceOf(CommandLine.UsageException.class)
        .hasMessageContaining("'yes'");
  }

  @Test
  void textDropsALabelColumnOnlyWhenEveryLineHasOne(@TempDir Path tmp) throws Exception {
    Path labelled = tmp.resolve("sst.txt");
    Files.writeString(labelled, "1 a fine film .\n\n0 not  good\n");
    assertThat(ElmoBenchCommand.readText(labelled))
        .containsExactly(List.of("a", "fine", "film", "."), List.of("not", "good"));
    Path plain = tmp.resolve("plain.txt");
    Files.writeString(plain, "1 a fine film .\nand 2 more\n");
    assertThat(ElmoBenchCommand.readText(plain))
        .containsExactly(List.of("1", "a", "fine", "film", "."), List.of("and", "2", "more"));
  }

  @Test
  void realTextHitsTheCacheAndEveryModelSeesTheSameSentences() throws Exception {
    ElmoFixture fixture = ElmoFixture.require();
    List<List<String>> text =
        ElmoBenchCommand.readText(TestData.require().resolve("sst/stsa.binary.dev"));
    try (ElmoModel off =
            ElmoModel.builder()
                .convert(fixture.options(), fixture.weights())
                .tokenCacheSize(0)
                .build();
        ElmoModel on =
            ElmoModel.builder()
                .convert(fixture.options(), fixture.weights())
                .tokenCacheSize(ElmoModel.DEFAULT_TOKEN_CACHE_SIZE)
                .build()) {
      ElmoBenchCommand.Workload workload = new ElmoBenchCommand.Workload(text, 500);
      List<ElmoBenchCommand.Measure> row =
          ElmoBenchCommand.measure(List.of(off, on), workload, 4, 300);
      assertThat(row).hasSize(2);
      assertThat(row.get(0).hitRate()).isZero();
      // Sentences 1..n of SST repeat "the", "a", ",", "." and many more.
      assertThat(row.get(1).hitRate()).isBetween(0.3, 1.0);
      assertThat(row.get(0).tokensPerSecond()).isPositive();
      // Both models ran every timed token; only the cached one looked any up.
      assertThat(off.tokenCacheStats().lookups()).isZero();
      assertThat(on.tokenCacheStats().lookups()).isGreaterThanOrEqualTo(800);
    }
    int code =
        RilletTestAccess.run(
            "bench",
            "elmo",
            "--models",
            fixture.dir.toString(),
            "--batch-sizes",
            "2",
            "--tokens",
            "40",
            "--warm-up-tokens",
            "40",
            "--char-cnn-cache",
            "off,split,on",
            "--text",
            TestData.require().resolve("sst/stsa.binary.dev").toString());
    assertThat(code).isZero();
  }
}
