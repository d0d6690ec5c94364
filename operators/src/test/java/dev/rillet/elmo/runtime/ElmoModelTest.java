package dev.rillet.elmo.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.rillet.elmo.conversion.ElmoFormatException;
import dev.rillet.elmo.conversion.ElmoOnnxConverter;
import dev.rillet.elmo.conversion.ElmoOptions;
import dev.rillet.elmo.conversion.ElmoWeights;
import dev.rillet.onnx.graph.OnnxModelWriter;
import dev.rillet.testutils.TestModels;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalDouble;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * ElmoModel on random weights (no data needed): batching and padding never change a sentence's
 * output, converted files behave like in-memory conversions, and the layer layout is as documented.
 */
class ElmoModelTest {
  private static final List<String> SHORT = List.of("Hello", "world", ".");
  private static final List<List<String>> OTHERS =
      List.of(
          List.of(
              "A", "much", "longer", "sentence", ",", "padded", "around", "the", "short", "one"),
          List.of(),
          List.of("Déjà", "vu", "😀", "x".repeat(70)));

  @TempDir Path tmp;

  /** Three layers, tanh CNN, no clipping, skip connections: the branches the fixture lacks. */
  private static ElmoOptions options() {
    return new ElmoOptions(
        "ElmoModelTest options",
        3,
        new int[][] {{1, 4}, {2, 6}, {4, 10}},
        1,
        ElmoOptions.Activation.TANH,
        262,
        50,
        12,
        8,
        3,
        OptionalDouble.empty(),
        OptionalDouble.of(0.5),
        true);
  }

  private static double maxDiff(ElmoLayers a, ElmoLayers b) {
    assertThat(a.data()).hasSameSizeAs(b.data());
    double max = 0;
    for (int i = 0; i < a.data().length; i++) {
      max = Math.max(max, Math.abs(a.data()[i] - b.data()[i]));
    }
    return max;
  }

  @Test
  void aSentenceGivesTheSameLayersAloneAndInAPaddedBatch() throws IOException {
    try (ElmoModel model =
        ElmoModel.builder().convert(options(), ElmoWeights.random(options(), 3)).build()) {

      ElmoLayers alone = model.embed(List.of(SHORT)).get(0);
      List<List<String>> batch = new ArrayList<>(OTHERS);
      batch.add(1, SHORT);
      List<ElmoLayers> together = model.embed(batch);
      assertThat(maxDiff(alone, together.get(1))).isLessThan(1e-6);
      assertThat(together.get(2).tokens()).isZero();
      assertThat(together.get(3).tokens()).isEqualTo(4);
      // Not vacuous: the sentence's activations are not all alike or zero.
      assertThat(maxDiff(alone, model.embed(List.of(List.of("Hello", "there", "."))).get(0)))
          .isGreaterThan(1e-3);
    }
  }

  @Test
  void layersAreTokenVectorTwiceThenForwardAndBackward() throws IOException {
    try (ElmoModel model =
        ElmoModel.builder().convert(options(), ElmoWeights.random(options(), 4)).build()) {

      ElmoLayers out = model.embed(List.of(SHORT)).get(0);
      assertThat(model.layers()).isEqualTo(4);
      assertThat(model.dim()).isEqualTo(16);
      assertThat(out.layers()).isEqualTo(4);
      assertThat(out.tokens()).isEqualTo(3);
      for (int t = 0; t < 3; t++) {
        for (int i = 0; i < 8; i++) {
          assertThat(out.get(0, t, i)).isEqualTo(out.get(0, t, 8 + i));
        }
      }
      // The backward direction of the last token depends only on it and </S>; the forward one on
      // everything before: changing the first token changes forward, not backward, at the end.
      ElmoLayers changed = model.embed(List.of(List.of("Goodbye", "world", "."))).get(0);
      assertThat(Math.abs(changed.get(1, 2, 0) - out.get(1, 2, 0))).isGreaterThan(0f);
      for (int i = 8; i < 16; i++) {
        assertThat(changed.get(1, 2, i)).isEqualTo(out.get(1, 2, i));
      }
    }
  }

  @Test
  void statefulBatchingKeepsEachRowsOutputsAndStates() throws IOException {
    ElmoWeights weights = ElmoWeights.random(options(), 5);
    try (ElmoModel model = ElmoModel.builder().convert(options(), weights).stateful(true).build();
        ElmoModel stateless = ElmoModel.builder().convert(options(), weights).build()) {
      ElmoState alone = model.newState();
      ElmoLayers first = model.embed(List.of(SHORT), List.of(alone)).get(0);
      assertThat(maxDiff(first, stateless.embed(List.of(SHORT)).get(0))).isLessThan(1e-6);
      ElmoLayers second = model.embed(List.of(OTHERS.get(0)), List.of(alone)).get(0);

      List<ElmoState> states = new ArrayList<>();
      for (int i = 0; i < 3; i++) {
        states.add(model.newState());
      }
      List<List<String>> batch1 = List.of(OTHERS.get(2), SHORT, OTHERS.get(1));
      List<List<String>> batch2 = List.of(SHORT, OTHERS.get(0), OTHERS.get(2));
      model.embed(batch1, states);
      ElmoLayers secondInBatch = model.embed(batch2, states).get(1);
      assertThat(maxDiff(second, secondInBatch)).isLessThan(1e-6);
      for (int i = 0; i < alone.h().length; i++) {
        assertThat(states.get(1).h()[i])
            .isCloseTo(alone.h()[i], org.assertj.core.data.Offset.offset(1e-6f));
      }
      // Carried state matters: the same sentence from zero state differs.
      assertThat(maxDiff(second, stateless.embed(List.of(OTHERS.get(0))).get(0)))
          .isGreaterThan(1e-4);
    }
  }

  @Test
  void aConvertedFileBehavesLikeTheInMemoryConversion() throws Exception {
    ElmoWeights weights = ElmoWeights.random(options(), 6);
    Path file = tmp.resolve("elmo.onnx");
    OnnxModelWriter.write(ElmoOnnxConverter.convert(options(), weights, false), file);
    try (ElmoModel fromFile = ElmoModel.builder().onnx(file).build();
        ElmoModel inMemory = ElmoModel.builder().convert(options(), weights).build()) {
      assertThat(fromFile.stateful()).isFalse();
      assertThat(
              maxDiff(fromFile.embed(List.of(SHORT)).get(0), inMemory.embed(List.of(SHORT)).get(0)))
          .isZero();
      assertThatThrownBy(fromFile::newState)
          .isInstanceOf(IllegalStateException.class)
          .hasMessageContaining("--stateful");
    }
  }

  @Test
  void aNonElmoOnnxFileIsRejectedWithItsName() {
    Path gru = TestModels.get("test-gru").resolve("model.onnx");
    assertThatThrownBy(() -> ElmoModel.builder().onnx(gru).build())
        .isInstanceOf(ElmoFormatException.class)
        .hasMessageContaining("model.onnx")
        .hasMessageContaining("char_ids");
    assertThatThrownBy(() -> ElmoModel.builder().onnx(tmp.resolve("missing.onnx")).build())
        .hasMessageContaining("does not exist");
  }

  @Test
  void theBuilderNamesEveryProblemInOneMessage() {
    Path file = tmp.resolve("elmo.onnx");
    assertThatThrownBy(() -> ElmoModel.builder().tokenCacheSize(-1).intraOpThreads(0).build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("no source")
        .hasMessageContaining("give at least one thread")
        .hasMessageContaining("tokenCacheSize must be >= 0, got -1");
    assertThatThrownBy(
            () ->
                ElmoModel.builder()
                    .onnx(file)
                    .convert(options(), ElmoWeights.random(options(), 1))
                    .build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("more than one source [onnx, convert]");
    assertThatThrownBy(
            () -> ElmoModel.builder().onnx(file).stateful(true).tokenCacheSize(8).build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("stateful applies to conversion only")
        .hasMessageContaining("a single-graph file runs without a token cache");
  }

  @Test
  void theGraphFormFollowsTheSourceAndTheCacheSize() throws IOException {
    ElmoWeights weights = ElmoWeights.random(options(), 5);
    try (ElmoModel single =
            ElmoModel.builder().convert(options(), weights).tokenCacheSize(0).build();
        ElmoModel split = ElmoModel.builder().convert(options(), weights).build()) {
      assertThat(single).isInstanceOf(SingleGraphElmo.class);
      assertThat(single.tokenCacheSize()).isZero();
      assertThat(split).isInstanceOf(SplitGraphElmo.class);
      assertThat(split.tokenCacheSize()).isEqualTo(ElmoModel.DEFAULT_TOKEN_CACHE_SIZE);
    }
  }
}
