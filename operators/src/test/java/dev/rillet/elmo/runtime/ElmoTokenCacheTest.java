package dev.rillet.elmo.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.rillet.elmo.conversion.ElmoFormatException;
import dev.rillet.elmo.conversion.ElmoOnnxConverter;
import dev.rillet.elmo.conversion.ElmoOptions;
import dev.rillet.elmo.conversion.ElmoWeights;
import dev.rillet.onnx.graph.OnnxModelWriter;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalDouble;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The token-vector cache on random weights (no data needed): a model with the cache gives the
 * single graph's results, stateless and stateful, whatever the cache holds or evicts.
 */
class ElmoTokenCacheTest {
  private static final double TOLERANCE = 1e-6;

  /** Repeated words across and within sentences, as real text has. */
  private static final List<List<String>> FIRST =
      List.of(
          List.of("the", "cat", "sat", "on", "the", "mat", "."),
          List.of("the", "dog", "sat", "."),
          List.of(),
          List.of("Déjà", "vu", "😀", "x".repeat(70), "the"));

  private static final List<List<String>> SECOND =
      List.of(
          List.of("a", "cat", "and", "a", "dog", "."),
          List.of("the", "mat", "sat", "on", "the", "cat", ",", "twice", "."),
          List.of("vu", "Déjà"));

  /** Two layers, ReLU CNN, two highways, clipping, skip connections. */
  private static ElmoOptions options() {
    return new ElmoOptions(
        "ElmoTokenCacheTest options",
        4,
        new int[][] {{1, 4}, {2, 8}, {3, 12}},
        2,
        ElmoOptions.Activation.RELU,
        262,
        50,
        16,
        6,
        2,
        OptionalDouble.of(3),
        OptionalDouble.of(3),
        true);
  }

  static double maxDiff(List<ElmoLayers> a, List<ElmoLayers> b) {
    assertThat(a).hasSameSizeAs(b);
    double max = 0;
    for (int s = 0; s < a.size(); s++) {
      float[] x = a.get(s).data();
      float[] y = b.get(s).data();
      assertThat(x).hasSameSizeAs(y);
      for (int i = 0; i < x.length; i++) {
        max = Math.max(max, Math.abs(x[i] - y[i]));
      }
    }
    return max;
  }

  @Test
  void cachedModelGivesTheSingleGraphsResultsStateless() throws IOException {
    ElmoWeights weights = ElmoWeights.random(options(), 11);
    try (ElmoModel plain =
            ElmoModel.builder().convert(options(), weights).tokenCacheSize(0).build();
        ElmoModel cached =
            ElmoModel.builder().convert(options(), weights).tokenCacheSize(100).build()) {

      assertThat(plain.tokenCacheSize()).isZero();
      assertThat(cached.tokenCacheSize()).isEqualTo(100);
      for (List<List<String>> batch : List.of(FIRST, SECOND, FIRST, SECOND.subList(1, 2))) {
        assertThat(maxDiff(cached.embed(batch), plain.embed(batch))).isLessThan(TOLERANCE);
      }
      ElmoModel.TokenCacheStats stats = cached.tokenCacheStats();
      // Positions: FIRST 7 + 4 + 0 + 5, SECOND 6 + 9 + 2, then FIRST again and SECOND's second.
      assertThat(stats.lookups()).isEqualTo(16 + 17 + 16 + 9);
      // FIRST has 11 distinct words (its 5 repeats are encoded once); SECOND adds 4 new ones
      // ("a" twice, "and", ",", "twice"); the last two batches are all hits.
      assertThat(stats.encoded()).isEqualTo(11 + 4);
      assertThat(stats.hits()).isEqualTo(0 + (17 - 5) + 16 + 9);
      assertThat(stats.entries()).isEqualTo(15);
      assertThat(plain.tokenCacheStats().lookups()).isZero();
      // Not vacuous: different words give different vectors.
      assertThat(
              maxDiff(cached.embed(List.of(List.of("cat"))), cached.embed(List.of(List.of("dog")))))
          .isGreaterThan(1e-3);
    }
  }

  @Test
  void cachedModelGivesTheSingleGraphsResultsAndStatesStateful() throws IOException {
    ElmoWeights weights = ElmoWeights.random(options(), 12);
    try (ElmoModel plain =
            ElmoModel.builder()
                .convert(options(), weights)
                .stateful(true)
                .tokenCacheSize(0)
                .build();
        ElmoModel cached =
            ElmoModel.builder()
                .convert(options(), weights)
                .stateful(true)
                .tokenCacheSize(8)
                .build()) {
      List<ElmoState> plainStates = new ArrayList<>();
      List<ElmoState> cachedStates = new ArrayList<>();
      for (int i = 0; i < FIRST.size(); i++) {
        plainStates.add(plain.newState());
        cachedStates.add(cached.newState());
      }
      List<List<String>> second = new ArrayList<>(SECOND);
      second.add(List.of("the"));
      for (List<List<String>> batch : List.of(FIRST, second, FIRST)) {
        assertThat(maxDiff(cached.embed(batch, cachedStates), plain.embed(batch, plainStates)))
            .isLessThan(TOLERANCE);
        for (int i = 0; i < FIRST.size(); i++) {
          float[] h = cachedStates.get(i).h();
          float[] c = cachedStates.get(i).c();
          for (int k = 0; k < h.length; k++) {
            assertThat(Math.abs(h[k] - plainStates.get(i).h()[k])).isLessThan((float) TOLERANCE);
          }
          for (int k = 0; k < c.length; k++) {
            assertThat(Math.abs(c[k] - plainStates.get(i).c()[k])).isLessThan((float) TOLERANCE);
          }
        }
      }
      assertThat(cached.tokenCacheStats().hits()).isPositive();
    }
  }

  @Test
  void theCacheBoundHoldsAndABatchWithMoreNewWordsThanItHoldsIsStillRight() throws IOException {
    ElmoWeights weights = ElmoWeights.random(options(), 13);
    List<String> many = new ArrayList<>();
    for (int i = 0; i < 40; i++) {
      many.add("w" + i);
    }
    List<List<String>> batch = List.of(many, many.subList(5, 25), List.of("w0", "w39"));
    try (ElmoModel plain =
            ElmoModel.builder().convert(options(), weights).tokenCacheSize(0).build();
        ElmoModel cached =
            ElmoModel.builder().convert(options(), weights).tokenCacheSize(5).build()) {

      List<ElmoLayers> expected = plain.embed(batch);
      assertThat(maxDiff(cached.embed(batch), expected)).isLessThan(TOLERANCE);
      assertThat(cached.tokenCacheStats().entries()).isEqualTo(5);
      assertThat(cached.tokenCacheStats().encoded()).isEqualTo(40);
      // The 5 kept are the last encoded (w35..w39): hits for them in row 0 and for w39 in row 2;
      // the other 35 run through the encoder again.
      assertThat(maxDiff(cached.embed(batch), expected)).isLessThan(TOLERANCE);
      assertThat(cached.tokenCacheStats().entries()).isEqualTo(5);
      assertThat(cached.tokenCacheStats().hits()).isEqualTo(6);
      assertThat(cached.tokenCacheStats().encoded()).isEqualTo(40 + 35);
    }
  }

  @Test
  void splitGraphsWrittenToFilesLoadAndMatchTheSingleGraph(@TempDir Path tmp) throws Exception {
    ElmoWeights weights = ElmoWeights.random(options(), 14);
    Path encoder = tmp.resolve("tokens.onnx");
    Path contextual = tmp.resolve("contextual.onnx");
    Path single = tmp.resolve("elmo.onnx");
    OnnxModelWriter.write(ElmoOnnxConverter.convertTokenEncoder(options(), weights), encoder);
    OnnxModelWriter.write(
        ElmoOnnxConverter.convertContextual(options(), weights, true), contextual);
    OnnxModelWriter.write(ElmoOnnxConverter.convert(options(), weights, true), single);
    try (ElmoModel split =
            ElmoModel.builder().splitOnnx(encoder, contextual).tokenCacheSize(0).build();
        ElmoModel plain = ElmoModel.builder().onnx(single).build()) {
      assertThat(split.stateful()).isTrue();
      assertThat(split.tokenCacheSize()).isZero();
      List<ElmoState> a = List.of(split.newState(), split.newState(), split.newState());
      List<ElmoState> b = List.of(plain.newState(), plain.newState(), plain.newState());
      List<List<String>> batch = SECOND;
      assertThat(maxDiff(split.embed(batch, a), plain.embed(batch, b))).isLessThan(TOLERANCE);
      assertThat(maxDiff(split.embed(batch, a), plain.embed(batch, b))).isLessThan(TOLERANCE);
      // Size 0: every batch encodes its 13 distinct tokens.
      assertThat(split.tokenCacheStats().hits()).isZero();
      assertThat(split.tokenCacheStats().encoded()).isEqualTo(2 * 13);
    }
    assertThatThrownBy(
            () -> ElmoModel.builder().splitOnnx(encoder, single).tokenCacheSize(10).build())
        .isInstanceOf(ElmoFormatException.class)
        .hasMessageContaining("elmo.onnx")
        .hasMessageContaining("token_vectors");
    assertThatThrownBy(
            () -> ElmoModel.builder().splitOnnx(single, contextual).tokenCacheSize(10).build())
        .isInstanceOf(ElmoFormatException.class)
        .hasMessageContaining("elmo.onnx")
        .hasMessageContaining("char_ids");
  }
}
