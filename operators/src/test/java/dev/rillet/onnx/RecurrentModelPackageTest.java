package dev.rillet.onnx;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.rillet.testutils.ModelRun;
import dev.rillet.testutils.TestModels;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class RecurrentModelPackageTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final OrtEnvironment ENV = OrtEnvironment.getEnvironment();
  private static OrtSession.SessionOptions options;

  @TempDir Path tmp;

  @BeforeAll
  static void options() throws OrtException {
    options = new OrtSession.SessionOptions();
    options.setIntraOpNumThreads(1);
  }

  @AfterAll
  static void closeOptions() {
    options.close();
  }

  private static RecurrentModelPackage load(Path dir) {
    return RecurrentModelPackage.load(dir, ENV, options);
  }

  @ParameterizedTest
  @ValueSource(strings = {"gru", "lstm", "rnn"})
  void loadsCommittedTestPackages(String cell) {
    try (RecurrentModelPackage pkg = load(TestModels.get("test-" + cell))) {
      assertThat(pkg.cell().manifestName()).isEqualTo(cell);
      assertThat(pkg.id()).isEqualTo("test-" + cell);
      assertThat(pkg.modelId()).isEqualTo("test-" + cell + "@1.0.0");
      assertThat(pkg.layers()).isEqualTo(cell.equals("rnn") ? 1 : 2);
      assertThat(pkg.hidden()).isEqualTo(24);
      assertThat(pkg.stateCount()).isEqualTo(cell.equals("lstm") ? 2 : 1);
      assertThat(pkg.stateInputs())
          .isEqualTo(cell.equals("lstm") ? List.of("h_in", "c_in") : List.of("state_in"));
      assertThat(pkg.stateOutputs())
          .isEqualTo(cell.equals("lstm") ? List.of("h_out", "c_out") : List.of("state_out"));
      assertThat(pkg.tagLabels()).hasSize(17).startsWith("ADJ", "ADP").contains("PROPN");
      assertThat(pkg.sentimentLabels()).containsExactly("negative", "positive");
      assertThat(pkg.vocabulary().size()).isEqualTo(2000);
      assertThat(pkg.manifest().provenance()).containsKeys("data", "command", "seed");
      assertThat(pkg.outputNames()).hasSize(2 + pkg.stateCount());
      assertThat(pkg.isClosed()).isFalse();
    }
  }

  @Test
  void loadsTheDemoPackage() {
    try (RecurrentModelPackage pkg = load(TestModels.get("demo-gru"))) {
      assertThat(pkg.cell()).isEqualTo(Cell.GRU);
      assertThat(pkg.layers()).isEqualTo(1);
      assertThat(pkg.hidden()).isEqualTo(128);
      assertThat(pkg.tagLabels()).hasSize(17);
      assertThat(pkg.sentimentLabels()).containsExactly("negative", "positive");
      assertThat(pkg.vocabulary().size()).isEqualTo(10000);
      assertThat(pkg.manifest().licence()).contains("CC BY-SA 4.0").contains("SST");
    }
  }

  @Test
  void purposeMarksTheDemoPackageOnly() throws IOException {
    try (RecurrentModelPackage demo = load(TestModels.get("demo-gru"));
        RecurrentModelPackage test = load(TestModels.get("test-gru"))) {
      assertThat(demo.manifest().purpose()).isEqualTo("demo");
      assertThat(demo.manifest().isDemo()).isTrue();
      assertThat(test.manifest().purpose()).isNull();
      assertThat(test.manifest().isDemo()).isFalse();
    }
    try (RecurrentModelPackage other =
        load(brokenCopy("test-gru", m -> m.put("purpose", "production")))) {
      assertThat(other.manifest().purpose()).isEqualTo("production");
      assertThat(other.manifest().isDemo()).isFalse();
    }
    Path dir = brokenCopy("test-rnn", m -> m.put("purpose", 1));
    assertThatThrownBy(() -> load(dir))
        .isInstanceOf(ModelPackageException.class)
        .hasMessageContaining("field 'purpose' must be a non-empty string");
  }

  @ParameterizedTest
  @ValueSource(strings = {"test-gru", "test-lstm", "test-rnn", "demo-gru"})
  void wholeSequenceEqualsSingleStepsChainingTheState(String name) throws OrtException {
    try (RecurrentModelPackage pkg = load(TestModels.get(name))) {
      int batch = 3;
      int time = 7;
      int c = pkg.tagLabels().size();
      int s = pkg.sentimentLabels().size();
      Random random = new Random(7);
      long[] ids = new long[batch * time];
      for (int i = 0; i < ids.length; i++) {
        ids[i] = random.nextInt(pkg.vocabulary().size());
      }
      // Start from a non-zero state so that the state inputs matter.
      List<float[]> start = ModelRun.zeroStates(pkg, batch);
      for (float[] st : start) {
        for (int i = 0; i < st.length; i++) {
          st[i] = (float) (random.nextGaussian() * 0.5);
        }
      }
      ModelRun.StepOutputs whole = ModelRun.run(pkg, ids, batch, start);

      List<float[]> states = start;
      for (int t = 0; t < time; t++) {
        long[] step = new long[batch];
        for (int b = 0; b < batch; b++) {
          step[b] = ids[b * time + t];
        }
        ModelRun.StepOutputs one = ModelRun.run(pkg, step, batch, states);
        for (int b = 0; b < batch; b++) {
          for (int k = 0; k < c; k++) {
            assertThat(one.tags[b * c + k])
                .isCloseTo(whole.tags[(b * time + t) * c + k], within(1e-5f));
          }
          for (int k = 0; k < s; k++) {
            assertThat(one.sentiment[b * s + k])
                .isCloseTo(whole.sentiment[(b * time + t) * s + k], within(1e-5f));
          }
        }
        states = one.states;
      }
      for (int i = 0; i < pkg.stateCount(); i++) {
        float[] expected = whole.states.get(i);
        float[] actual = states.get(i);
        assertThat(actual).hasSize(pkg.layers() * batch * pkg.hidden());
        for (int j = 0; j < expected.length; j++) {
          assertThat(actual[j]).isCloseTo(expected[j], within(1e-5f));
        }
      }
      assertThat(whole.states.get(0)).isNotEqualTo(start.get(0));
    }
  }

  /** golden.json holds PyTorch's outputs: ORT and the Java Vocabulary must reproduce them. */
  @ParameterizedTest
  @ValueSource(strings = {"gru", "lstm", "rnn"})
  void matchesPyTorchGoldenOutputs(String cell) throws IOException, OrtException {
    Path dir = TestModels.get("test-" + cell);
    JsonNode golden = JSON.readTree(dir.resolve("golden.json").toFile());
    try (RecurrentModelPackage pkg = load(dir)) {
      JsonNode tokens = golden.get("tokens");
      long[] ids = new long[tokens.size()];
      for (int t = 0; t < ids.length; t++) {
        ids[t] = pkg.vocabulary().id(tokens.get(t).asText());
        assertThat(ids[t])
            .as("id of %s", tokens.get(t))
            .isEqualTo(golden.get("ids").get(t).asLong());
      }
      ModelRun.StepOutputs out = ModelRun.run(pkg, ids, 1, ModelRun.zeroStates(pkg, 1));
      assertClose(out.tags, golden.get("tagLogits"));
      assertClose(out.sentiment, golden.get("sentimentLogits"));
      for (int i = 0; i < pkg.stateCount(); i++) {
        assertClose(out.states.get(i), golden.get("finalStates").get(i));
      }
    }
  }

  private static void assertClose(float[] actual, JsonNode expected) {
    List<Float> flat = new ArrayList<>();
    flatten(expected, flat);
    assertThat(actual).hasSize(flat.size());
    for (int i = 0; i < actual.length; i++) {
      assertThat(actual[i]).isCloseTo(flat.get(i), within(1e-4f));
    }
  }

  private static void flatten(JsonNode node, List<Float> out) {
    if (node.isArray()) {
      node.forEach(n -> flatten(n, out));
    } else {
      out.add(node.floatValue());
    }
  }

  private Path brokenCopy(String name, Consumer<ObjectNode> edit) throws IOException {
    Path dir = TestModels.copy(TestModels.get(name), tmp.resolve(name));
    Path manifest = dir.resolve("manifest.json");
    ObjectNode root = (ObjectNode) JSON.readTree(manifest.toFile());
    edit.accept(root);
    JSON.writeValue(manifest.toFile(), root);
    return dir;
  }

  @Test
  void wrongHiddenNamesTheStateTensorAndBothSizes() throws IOException {
    Path dir = brokenCopy("test-gru", m -> m.put("hidden", 32));
    assertThatThrownBy(() -> load(dir))
        .isInstanceOf(ModelPackageException.class)
        .hasMessageContaining(
            "manifest.json says hidden=32 but model.onnx input 'state_in' has H=24")
        .hasMessageContaining("regenerate the package or fix the manifest");
  }

  @Test
  void wrongLayerCount() throws IOException {
    Path dir = brokenCopy("test-rnn", m -> m.put("layers", 2));
    assertThatThrownBy(() -> load(dir))
        .isInstanceOf(ModelPackageException.class)
        .hasMessageContaining("layers=2 but model.onnx input 'state_in' has L=1");
  }

  @Test
  void wrongInputNameListsTheGraphInputs() throws IOException {
    Path dir = brokenCopy("test-gru", m -> ((ObjectNode) m.get("inputs")).put("tokenIds", "ids"));
    assertThatThrownBy(() -> load(dir))
        .isInstanceOf(ModelPackageException.class)
        .hasMessageContaining("says inputs.tokenIds has 'ids' but model.onnx has no input")
        .hasMessageContaining("token_ids");
  }

  @Test
  void missingVocabularyFile() throws IOException {
    Path dir = brokenCopy("test-gru", m -> {});
    Files.delete(dir.resolve("vocab.txt"));
    assertThatThrownBy(() -> load(dir))
        .isInstanceOf(ModelPackageException.class)
        .hasMessageContaining("vocabulary file " + dir.resolve("vocab.txt") + " does not exist")
        .hasMessageContaining("vocabulary.file");
  }

  @Test
  void missingModelFile() throws IOException {
    Path dir = brokenCopy("test-rnn", m -> m.put("file", "rnn.onnx"));
    assertThatThrownBy(() -> load(dir))
        .isInstanceOf(ModelPackageException.class)
        .hasMessageContaining("model file " + dir.resolve("rnn.onnx") + " does not exist")
        .hasMessageContaining("fix 'file'");
  }

  @Test
  void lstmDeclaredAsGruIsRejectedByStateCount() throws IOException {
    Path dir = brokenCopy("test-lstm", m -> m.put("cell", "gru"));
    assertThatThrownBy(() -> load(dir))
        .isInstanceOf(ModelPackageException.class)
        .hasMessageContaining("'inputs.states' lists 2 tensor(s) but cell \"gru\" has 1");
  }

  @Test
  void lstmDeclaredAsGruWithOneStateIsRejectedByTheGraph() throws IOException {
    Path dir =
        brokenCopy(
            "test-lstm",
            m -> {
              m.put("cell", "gru");
              ((ObjectNode) m.get("inputs")).putArray("states").add("h_in");
              ((ObjectNode) m.get("outputs")).putArray("states").add("h_out");
            });
    assertThatThrownBy(() -> load(dir))
        .isInstanceOf(ModelPackageException.class)
        .hasMessageContaining("has input 'c_in' that")
        .hasMessageContaining("cell=gru");
  }

  @Test
  void metadataIdMustMatch() throws IOException {
    Path dir = brokenCopy("test-gru", m -> m.put("id", "other"));
    assertThatThrownBy(() -> load(dir))
        .isInstanceOf(ModelPackageException.class)
        .hasMessageContaining("says id=other but model.onnx metadata rillet.model.id=test-gru");
  }

  @Test
  void tagLabelCountMustMatchC() throws IOException {
    Path dir = brokenCopy("test-gru", m -> m.putArray("tagLabels").add("NOUN").add("VERB"));
    assertThatThrownBy(() -> load(dir))
        .isInstanceOf(ModelPackageException.class)
        .hasMessageContaining("tagLabels has 2 labels but model.onnx output 'tag_logits' has C=17");
  }

  @Test
  void missingRequiredFieldIsNamed() throws IOException {
    Path dir = brokenCopy("test-gru", m -> m.remove("licence"));
    assertThatThrownBy(() -> load(dir))
        .isInstanceOf(ModelPackageException.class)
        .hasMessageContaining(dir.resolve("manifest.json").toString())
        .hasMessageContaining("required field 'licence' is missing");
  }

  @Test
  void unknownClassSchemeMustBeOneThisVersionKnows() throws IOException {
    Path dir =
        brokenCopy(
            "test-gru", m -> ((ObjectNode) m.get("vocabulary")).put("unknownClasses", "shape-9"));
    assertThatThrownBy(() -> load(dir))
        .isInstanceOf(ModelPackageException.class)
        .hasMessageContaining("vocabulary.unknownClasses is \"shape-9\"")
        .hasMessageContaining("\"shape-suffix-1\"");
  }

  @Test
  void unknownClassesAreUsedOnlyWhenTheManifestSaysSo() throws IOException {
    Path dir = brokenCopy("test-gru", m -> {});
    List<String> lines = Files.readAllLines(dir.resolve("vocab.txt"));
    lines.set(lines.size() - 1, "<unk:cap>"); // same size as the graph's embedding
    Files.write(dir.resolve("vocab.txt"), lines);
    int classId = lines.size() - 1;
    try (RecurrentModelPackage plain = load(dir)) {
      assertThat(plain.vocabulary().id("Zebedee")).isEqualTo(plain.vocabulary().unknownId());
    }
    Path manifest = dir.resolve("manifest.json");
    ObjectNode root = (ObjectNode) JSON.readTree(manifest.toFile());
    ((ObjectNode) root.get("vocabulary")).put("unknownClasses", "shape-suffix-1");
    JSON.writeValue(manifest.toFile(), root);
    try (RecurrentModelPackage classes = load(dir)) {
      assertThat(classes.vocabulary().id("Zebedee")).isEqualTo(classId);
    }
  }
}
