package dev.rillet.recurrent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.rillet.bundle.BatchLimit;
import dev.rillet.onnx.ExecutionProvider;
import dev.rillet.segment.SegmentedEvent;
import dev.rillet.testutils.Cuda;
import dev.rillet.testutils.InterceptedMetrics;
import dev.rillet.testutils.TestModels;
import java.nio.file.Path;
import java.util.List;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.streaming.util.KeyedOneInputStreamOperatorTestHarness;
import org.junit.jupiter.api.Test;

/**
 * The tagger's batch and bundle sizes: picked in open() for the provider the model runs on, a set
 * value winning on both, and read back through the {@code maxBatchSize} and {@code maxBundleTokens}
 * gauges.
 */
class RecurrentTaggerSizesTest {
  private static final Path GRU = TestModels.get("test-gru");

  @Test
  void theDefaultsAreTheDocumentedOnes() {
    assertThat(RecurrentTagger.DEFAULT_MAX_BATCH_SIZE).hasToString("64 on CPU, 256 on CUDA");
    assertThat(RecurrentTagger.DEFAULT_MAX_BUNDLE_TOKENS).hasToString("256 on CPU, 1024 on CUDA");
  }

  @Test
  void onTheCpuTheDefaultsAreTheCpuSizes() throws Exception {
    assertThat(sizesOn(RecurrentTagger.builder().executionProvider(ExecutionProvider.CPU)))
        .containsExactly(64L, 256L);
  }

  @Test
  void aSetSizeWins() throws Exception {
    assertThat(
            sizesOn(
                RecurrentTagger.builder()
                    .executionProvider(ExecutionProvider.CPU)
                    .maxBatchSize(100)
                    .maxBundleTokens(500)))
        .containsExactly(100L, 500L);
  }

  /** Runs only where CUDA answers, as {@link CudaEquivalenceTest} does. */
  @Test
  void onCudaTheDefaultsAreTheCudaSizes() throws Exception {
    Cuda.assumeUsable();
    assertThat(sizesOn(RecurrentTagger.builder().executionProvider(ExecutionProvider.AUTO)))
        .containsExactly(256L, 1024L);
  }

  @Test
  void buildChecksADefaultOnBothProvidersAndNamesTheSetting() {
    assertThatThrownBy(
            () ->
                RecurrentTagger.builder()
                    .modelDir(GRU)
                    .maxBatchSize(BatchLimit.byProvider(64, 0))
                    .maxBundleTokens(0)
                    .build())
        .hasMessageContaining(
            "maxBatchSize must be >= 1 on both providers, got 64 on CPU, 0 on CUDA")
        .hasMessageContaining("maxBundleTokens must be >= 1, got 0");
  }

  /** The gauges maxBatchSize and maxBundleTokens of the tagger {@code builder} makes, opened. */
  private static List<Long> sizesOn(RecurrentTagger.Builder builder) throws Exception {
    try (InterceptedMetrics metrics = new InterceptedMetrics()) {
      var h =
          new KeyedOneInputStreamOperatorTestHarness<String, SegmentedEvent, TaggedEvent>(
              builder.modelDir(GRU).build(), e -> e.streamId, Types.STRING, metrics.environment());
      h.open();
      try {
        return List.of(metrics.gauge("maxBatchSize"), metrics.gauge("maxBundleTokens"));
      } finally {
        h.close();
      }
    }
  }
}
