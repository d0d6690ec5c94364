package dev.rillet.elmo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.rillet.elmo.runtime.ElmoSource;
import dev.rillet.elmo.runtime.SentimentHead;
import dev.rillet.onnx.ExecutionProvider;
import dev.rillet.onnx.OrtSettings;
import dev.rillet.testutils.Cuda;
import dev.rillet.testutils.TestModels;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The sentence stage's analyzer (the shipped biLM and heads) on CUDA gives what it gives on the CPU
 * within 1e-4: the tag of every token and its probability, the sentence sentiment, every layer's
 * embeddings and, stateful, the LSTM states carried from one batch to the next. The sentences
 * differ in length, so a batch is padded, as {@link SentenceElmo}'s buckets are.
 *
 * <p>Runs only where CUDA answers (the {@code -Pgpu} build on a machine with a device: {@code mvn
 * -Pgpu test -pl operators -am -Dtest='*CudaEquivalenceTest'}); elsewhere it is skipped with the
 * probe's reason. Nothing in the default build or CI depends on it.
 */
class ElmoCudaEquivalenceTest {
  private static final float TOLERANCE = 1e-4f;

  private static final List<String[]> BATCH_1 =
      List.of(
          "The ferry left the harbour an hour late .".split(" "),
          "Nobody on board seemed to mind .".split(" "),
          "Rain .".split(" "),
          "By noon the wind had dropped and the gulls followed us all the way across .".split(" "));

  private static final List<String[]> BATCH_2 =
      List.of(
          "It was , in the end , a pleasant crossing .".split(" "),
          "I would not take the night boat again though .".split(" "),
          "The coffee was dreadful !".split(" "),
          "Still , we arrived .".split(" "));

  @BeforeAll
  static void needsCuda() {
    Cuda.assumeUsable();
  }

  @ParameterizedTest(name = "stateful={0}")
  @ValueSource(booleans = {false, true})
  void cudaEqualsCpu(boolean stateful) throws Exception {
    try (SentenceAnalyzer cpu = analyzer(stateful, ExecutionProvider.CPU);
        SentenceAnalyzer cuda = analyzer(stateful, ExecutionProvider.CUDA)) {
      assertThat(cuda.modelIds()).isEqualTo(cpu.modelIds());
      float[][] cpuStates = stateful ? new float[BATCH_1.size()][cpu.stateSize()] : null;
      float[][] cudaStates = stateful ? new float[BATCH_1.size()][cuda.stateSize()] : null;
      for (List<String[]> batch : List.of(BATCH_1, BATCH_2)) {
        SentenceResult[] expected = analyze(cpu, batch, cpuStates);
        SentenceResult[] actual = analyze(cuda, batch, cudaStates);
        for (int s = 0; s < batch.size(); s++) {
          String what = String.join(" ", batch.get(s));
          assertThat(actual[s].tags).as("tags of '%s'", what).isEqualTo(expected[s].tags);
          assertClose(actual[s].tagProbabilities, expected[s].tagProbabilities, what);
          assertClose(actual[s].sentiment, expected[s].sentiment, what);
          for (int t = 0; t < expected[s].embeddings.length; t++) {
            assertClose(actual[s].embeddings[t], expected[s].embeddings[t], what + ", token " + t);
          }
          if (stateful) {
            assertClose(cudaStates[s], cpuStates[s], what + ", carried state");
          }
        }
      }
    }
  }

  private static SentenceAnalyzer analyzer(boolean stateful, ExecutionProvider provider)
      throws Exception {
    return ElmoAnalyzer.factory(
            ElmoSource.resolve(TestModels.root().resolve("elmo-bilm")),
            TestModels.get("elmo-heads"),
            stateful,
            new OrtSettings(1, provider),
            SentimentHead.SST2)
        .create();
  }

  private static SentenceResult[] analyze(
      SentenceAnalyzer analyzer, List<String[]> batch, float[][] states) throws Exception {
    SentenceResult[] results = new SentenceResult[batch.size()];
    analyzer.analyze(new ArrayList<>(batch), states, EmbeddingsMode.ALL, results);
    return results;
  }

  private static void assertClose(float[] actual, float[] expected, String what) {
    assertThat(actual).as(what).hasSameSizeAs(expected);
    for (int i = 0; i < expected.length; i++) {
      assertThat(actual[i]).as("%s, value %d", what, i).isCloseTo(expected[i], within(TOLERANCE));
    }
  }
}
