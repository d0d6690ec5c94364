package dev.rillet.elmo.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.rillet.onnx.ModelPackageException;
import dev.rillet.testutils.SequenceReference;
import dev.rillet.testutils.TestModels;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * ONNX Runtime through {@link ElmoHeads} against PyTorch: each test heads package's golden.json
 * holds the fixture biLM's layers for two sentences of different lengths and the heads' outputs
 * PyTorch computed for them in one padded batch. test-elmo-heads has word vectors (so its
 * vocabulary, normalization and unknown-word classes must give PyTorch's ids);
 * test-elmo-heads-plain has none.
 */
class ElmoHeadsGoldenTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir Path tmp;

  @ParameterizedTest
  @ValueSource(strings = {"test-elmo-heads", "test-elmo-heads-plain"})
  void tagsAndBothSentimentHeadsMatchPyTorchOnARaggedBatch(String name) throws Exception {
    Path dir = TestModels.get(name);
    JsonNode golden = JSON.readTree(dir.resolve("golden.json").toFile());
    List<List<String>> words = new ArrayList<>();
    List<ElmoLayers> layers = new ArrayList<>();
    for (int b = 0; b < golden.get("sentences").size(); b++) {
      List<String> sentence = new ArrayList<>();
      golden.get("sentences").get(b).forEach(w -> sentence.add(w.asText()));
      words.add(sentence);
      layers.add(layers(golden.get("layers").get(b)));
    }
    assertThat(words.get(0)).hasSizeGreaterThan(words.get(1).size());

    for (SentimentHead head : SentimentHead.values()) {
      try (ElmoHeads heads = ElmoHeads.load(dir, 1, head)) {
        assertThat(heads.hasWordVectors()).isEqualTo(golden.has("tokenIds"));
        if (golden.has("tokenIds")) {
          for (int b = 0; b < words.size(); b++) {
            for (int j = 0; j < words.get(b).size(); j++) {
              assertThat(heads.vocabulary().id(words.get(b).get(j)))
                  .as("id of %s", words.get(b).get(j))
                  .isEqualTo(golden.get("tokenIds").get(b).get(j).asInt());
            }
          }
        }
        int n = words.size();
        int[][] tags = new int[n][];
        float[][] p = new float[n][];
        float[][] sentiment = new float[n][];
        heads.run(words, layers, tags, p, sentiment);
        String field = head == SentimentHead.SST2 ? "sentimentLogits" : "sentiment5Logits";
        for (int b = 0; b < n; b++) {
          JsonNode tagLogits = golden.get("tagLogits").get(b);
          for (int j = 0; j < words.get(b).size(); j++) {
            float[] want = softmax(tagLogits.get(j));
            int best = SequenceReference.argmax(want);
            assertThat(tags[b][j]).isEqualTo(best);
            assertThat(p[b][j]).isCloseTo(want[best], within(1e-5f));
          }
          float[] want = softmax(golden.get(field).get(b));
          assertThat(sentiment[b]).containsExactly(want, within(1e-5f));
        }
      }
    }
  }

  @Test
  void aGraphTakingTokenIdsWithoutAVocabularyInTheManifestIsRejected() throws Exception {
    Path copy = TestModels.copy(TestModels.get("test-elmo-heads"), tmp.resolve("no-vocab"));
    ObjectNode manifest = (ObjectNode) JSON.readTree(copy.resolve("manifest.json").toFile());
    manifest.remove("vocabulary");
    JSON.writeValue(copy.resolve("manifest.json").toFile(), manifest);
    assertThatThrownBy(() -> ElmoHeads.load(copy, 1))
        .isInstanceOf(ModelPackageException.class)
        .hasMessageContaining("no-vocab")
        .hasMessageContaining("takes \"token_ids\"")
        .hasMessageContaining("no vocabulary section");
  }

  @Test
  void aVocabularyForAGraphWithoutTokenIdsIsRejected() throws Exception {
    Path copy = TestModels.copy(TestModels.get("test-elmo-heads-plain"), tmp.resolve("extra"));
    Path words = TestModels.get("test-elmo-heads");
    Files.copy(words.resolve("vocab.txt"), copy.resolve("vocab.txt"));
    ObjectNode manifest = (ObjectNode) JSON.readTree(copy.resolve("manifest.json").toFile());
    manifest.set(
        "vocabulary", JSON.readTree(words.resolve("manifest.json").toFile()).get("vocabulary"));
    JSON.writeValue(copy.resolve("manifest.json").toFile(), manifest);
    assertThatThrownBy(() -> ElmoHeads.load(copy, 1))
        .isInstanceOf(ModelPackageException.class)
        .hasMessageContaining("has a vocabulary but the graph has no input \"token_ids\"");
  }

  @Test
  void aMissingVocabularyFileNamesTheFile() throws Exception {
    Path copy = TestModels.copy(TestModels.get("test-elmo-heads"), tmp.resolve("lost"));
    Files.delete(copy.resolve("vocab.txt"));
    assertThatThrownBy(() -> ElmoHeads.load(copy, 1))
        .isInstanceOf(ModelPackageException.class)
        .hasMessageContaining(copy.resolve("vocab.txt").toString())
        .hasMessageContaining("does not exist");
  }

  private static ElmoLayers layers(JsonNode perLayer) {
    int k = perLayer.size();
    int t = perLayer.get(0).size();
    int d = perLayer.get(0).get(0).size();
    float[] data = new float[k * t * d];
    ElmoLayers out = new ElmoLayers(k, t, d, data);
    for (int layer = 0; layer < k; layer++) {
      for (int token = 0; token < t; token++) {
        for (int i = 0; i < d; i++) {
          data[out.offset(layer, token) + i] =
              (float) perLayer.get(layer).get(token).get(i).asDouble();
        }
      }
    }
    return out;
  }

  /** The softmax of a golden logit row, by the test reference. */
  private static float[] softmax(JsonNode logits) {
    float[] values = new float[logits.size()];
    for (int i = 0; i < values.length; i++) {
      values[i] = (float) logits.get(i).asDouble();
    }
    return SequenceReference.softmax(values);
  }
}
