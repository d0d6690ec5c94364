package dev.rillet.elmo.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.rillet.onnx.ModelPackageException;
import dev.rillet.testutils.TestModels;
import java.nio.FloatBuffer;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Choosing the sentiment head of an ELMo heads package (test-elmo-heads-plain: random weights, 3
 * layers of 32, binary and 5-class heads): the chosen head's labels and the softmax of its own
 * graph output, computed here with a plain ONNX Runtime session on the same inputs.
 */
class ElmoHeadsSentimentTest {
  private static final Path HEADS = TestModels.get("test-elmo-heads-plain");
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir Path tmp;

  private static final List<List<String>> WORDS =
      List.of(List.of("The", "film", "works"), List.of("It", "is", "not", "good", "."));

  /** Two sentences of 3 and 5 tokens with seeded random activations. */
  private static List<ElmoLayers> sentences() {
    Random random = new Random(7);
    return List.of(layers(random, 3), layers(random, 5));
  }

  private static ElmoLayers layers(Random random, int tokens) {
    float[] data = new float[3 * tokens * 32];
    for (int i = 0; i < data.length; i++) {
      data[i] = (float) random.nextGaussian();
    }
    return new ElmoLayers(3, tokens, 32, data);
  }

  /** Softmax of {@code output} for the padded batch of {@link #sentences()}, straight from ORT. */
  private static float[][] direct(String output) throws Exception {
    List<ElmoLayers> s = sentences();
    int t = 5;
    float[] layers = new float[3 * 2 * t * 32];
    float[] mask = new float[2 * t];
    for (int row = 0; row < 2; row++) {
      ElmoLayers l = s.get(row);
      for (int k = 0; k < 3; k++) {
        System.arraycopy(
            l.data(), l.offset(k, 0), layers, ((k * 2 + row) * t) * 32, l.tokens() * 32);
      }
      for (int j = 0; j < l.tokens(); j++) {
        mask[row * t + j] = 1;
      }
    }
    OrtEnvironment env = OrtEnvironment.getEnvironment();
    try (OrtSession session =
            env.createSession(
                HEADS.resolve("heads.onnx").toString(), new OrtSession.SessionOptions());
        OnnxTensor l =
            OnnxTensor.createTensor(env, FloatBuffer.wrap(layers), new long[] {3, 2, t, 32});
        OnnxTensor m = OnnxTensor.createTensor(env, FloatBuffer.wrap(mask), new long[] {2, t});
        OrtSession.Result r = session.run(Map.of("layers", l, "mask", m))) {
      float[][] logits = (float[][]) r.get(output).orElseThrow().getValue();
      float[][] out = new float[logits.length][];
      for (int i = 0; i < logits.length; i++) {
        double max = Double.NEGATIVE_INFINITY;
        for (float x : logits[i]) {
          max = Math.max(max, x);
        }
        double sum = 0;
        for (float x : logits[i]) {
          sum += Math.exp(x - max);
        }
        out[i] = new float[logits[i].length];
        for (int k = 0; k < out[i].length; k++) {
          out[i][k] = (float) (Math.exp(logits[i][k] - max) / sum);
        }
      }
      return out;
    }
  }

  private record Run(int[][] tags, float[][] sentiment) {}

  private static Run run(ElmoHeads heads) throws Exception {
    int[][] tags = new int[2][];
    float[][] p = new float[2][];
    float[][] sentiment = new float[2][];
    heads.run(WORDS, sentences(), tags, p, sentiment);
    return new Run(tags, sentiment);
  }

  @Test
  void theFiveClassHeadGivesItsOwnLabelsAndOutput() throws Exception {
    try (ElmoHeads two = ElmoHeads.load(HEADS, 1);
        ElmoHeads five = ElmoHeads.load(HEADS, 1, SentimentHead.SST5)) {
      assertThat(two.sentimentHead()).isEqualTo(SentimentHead.SST2);
      assertThat(two.sentimentLabels()).containsExactly("negative", "positive");
      assertThat(two.hasSentiment5()).isTrue();
      assertThat(five.sentimentHead()).isEqualTo(SentimentHead.SST5);
      assertThat(five.sentimentLabels())
          .containsExactly("very negative", "negative", "neutral", "positive", "very positive");

      Run a = run(two);
      Run b = run(five);
      float[][] want2 = direct("sentiment_logits");
      float[][] want5 = direct("sentiment5_logits");
      for (int row = 0; row < 2; row++) {
        assertThat(a.sentiment()[row]).containsExactly(want2[row], within(1e-6f));
        assertThat(b.sentiment()[row]).containsExactly(want5[row], within(1e-6f));
        // The tag head does not depend on which sentiment head is served.
        assertThat(b.tags()[row]).containsExactly(a.tags()[row]);
      }
    }
  }

  @Test
  void aPackageWithoutTheFiveClassHeadFailsNamingIt() throws Exception {
    Path copy = TestModels.copy(HEADS, tmp.resolve("binary-only"));
    ObjectNode manifest = (ObjectNode) JSON.readTree(copy.resolve("manifest.json").toFile());
    manifest.remove("sentiment5Labels");
    JSON.writeValue(copy.resolve("manifest.json").toFile(), manifest);

    try (ElmoHeads two = ElmoHeads.load(copy, 1)) {
      assertThat(two.hasSentiment5()).isFalse();
      assertThat(two.sentimentLabels()).hasSize(2);
    }
    assertThatThrownBy(() -> ElmoHeads.load(copy, 1, SentimentHead.SST5))
        .isInstanceOf(ModelPackageException.class)
        .hasMessageContaining("binary-only")
        .hasMessageContaining("no sentiment5Labels")
        .hasMessageContaining("--elmo-sentiment sst2");
  }

  @Test
  void fiveClassLabelsWithoutTheirGraphOutputAreRejected() throws Exception {
    Path copy = TestModels.copy(HEADS, tmp.resolve("six"));
    ObjectNode manifest = (ObjectNode) JSON.readTree(copy.resolve("manifest.json").toFile());
    manifest.putArray("sentiment5Labels").add("a").add("b").add("c").add("d").add("e").add("f");
    JSON.writeValue(copy.resolve("manifest.json").toFile(), manifest);
    // The graph's sentiment5_logits has 5 columns: a 6-label manifest does not fit it.
    assertThatThrownBy(() -> ElmoHeads.load(copy, 1))
        .isInstanceOf(ModelPackageException.class)
        .hasMessageContaining("sentiment5_logits")
        .hasMessageContaining("6 sentiment5Labels");
  }
}
