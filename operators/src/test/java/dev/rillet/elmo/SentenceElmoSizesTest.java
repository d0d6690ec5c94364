package dev.rillet.elmo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.rillet.avro.SentenceAnalysis;
import dev.rillet.bundle.BatchLimit;
import dev.rillet.elmo.runtime.ElmoSource;
import dev.rillet.onnx.ExecutionProvider;
import dev.rillet.recurrent.TaggedEvent;
import dev.rillet.testutils.InterceptedMetrics;
import dev.rillet.testutils.TestElmo;
import dev.rillet.testutils.TestModels;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.streaming.util.KeyedOneInputStreamOperatorTestHarness;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The sentence stage's batch and bundle sizes: picked in open() for the provider its analyzer runs
 * on, a set value winning on both, read back through the gauges {@code maxBatchSize}, {@code
 * maxBatchTokens} and {@code maxBundleTokens}.
 */
class SentenceElmoSizesTest {
  private static SentenceAnalyzer.Factory elmo;

  /** A random-weight biLM of the test heads' shape: no fixture data needed. */
  @BeforeAll
  static void writeElmo(@TempDir Path tmp) throws Exception {
    Path bilm = TestElmo.write(tmp.resolve("elmo"), 1);
    Path heads = TestElmo.headsFor(bilm, TestModels.get("test-elmo-heads"), tmp.resolve("heads"));
    elmo =
        ElmoAnalyzer.factory(
            ElmoSource.pair(bilm.resolve("options.json"), bilm.resolve("weights.hdf5")),
            heads,
            false,
            1);
  }

  @Test
  void theDefaultsAreTheDocumentedOnes() {
    assertThat(SentenceElmo.DEFAULT_MAX_BATCH_SIZE).hasToString("32 on CPU, 128 on CUDA");
    assertThat(SentenceElmo.DEFAULT_MAX_BATCH_TOKENS).hasToString("1024 on CPU, 4096 on CUDA");
    assertThat(SentenceElmo.DEFAULT_MAX_BUNDLE_TOKENS).hasToString("2048 on CPU, 8192 on CUDA");
  }

  @Test
  void onTheCpuTheDefaultsAreTheCpuSizes() throws Exception {
    assertThat(sizesOf(SentenceElmo.builder().analyzer(on(ExecutionProvider.CPU))))
        .containsExactly(32L, 1024L, 2048L);
  }

  /**
   * The sizes follow what the analyzer reports; this one runs on the CPU but says CUDA, so the CUDA
   * sizes are checked without a GPU.
   */
  @Test
  void onCudaTheDefaultsAreTheCudaSizes() throws Exception {
    assertThat(sizesOf(SentenceElmo.builder().analyzer(on(ExecutionProvider.CUDA))))
        .containsExactly(128L, 4096L, 8192L);
  }

  @Test
  void aSetSizeWinsOnEitherProvider() throws Exception {
    for (ExecutionProvider p : List.of(ExecutionProvider.CPU, ExecutionProvider.CUDA)) {
      assertThat(
              sizesOf(
                  SentenceElmo.builder()
                      .analyzer(on(p))
                      .maxBatchSize(3)
                      .maxBatchTokens(40)
                      .maxBundleTokens(50)))
          .containsExactly(3L, 40L, 50L);
    }
  }

  @Test
  void buildChecksADefaultOnBothProvidersAndNamesTheSetting() {
    assertThatThrownBy(
            () ->
                SentenceElmo.builder()
                    .analyzer(elmo)
                    .maxBatchTokens(BatchLimit.byProvider(0, 4096))
                    .maxBundleTokens(-1)
                    .build())
        .hasMessageContaining(
            "maxBatchTokens must be >= 1 on both providers, got 0 on CPU, 4096 on CUDA")
        .hasMessageContaining("maxBundleTokens must be >= 1, got -1");
  }

  /** The test ELMo, reporting {@code provider} as where it runs. */
  private static SentenceAnalyzer.Factory on(ExecutionProvider provider) {
    return new SentenceAnalyzer.Factory() {
      private static final long serialVersionUID = 1L;

      @Override
      public SentenceAnalyzer create() throws Exception {
        return elmo.create();
      }

      @Override
      public ExecutionProvider executionProvider() {
        return provider;
      }
    };
  }

  /** The gauges maxBatchSize, maxBatchTokens and maxBundleTokens of the operator, opened. */
  private static List<Long> sizesOf(SentenceElmo.Builder builder) throws Exception {
    try (InterceptedMetrics metrics = new InterceptedMetrics()) {
      var h =
          new KeyedOneInputStreamOperatorTestHarness<String, TaggedEvent, SentenceAnalysis>(
              builder.maxDelay(Duration.ofMillis(50)).build(),
              e -> e.event.streamId,
              Types.STRING,
              metrics.environment());
      h.open();
      try {
        return List.of(
            metrics.gauge("maxBatchSize"),
            metrics.gauge("maxBatchTokens"),
            metrics.gauge("maxBundleTokens"));
      } finally {
        h.close();
      }
    }
  }
}
