package dev.rillet.recurrent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import dev.rillet.onnx.ExecutionProvider;
import dev.rillet.onnx.OrtSettings;
import dev.rillet.onnx.RecurrentModelPackage;
import dev.rillet.testutils.Cuda;
import dev.rillet.testutils.TestModels;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The tagger's model on CUDA gives what it gives on the CPU within 1e-4: tags, tag probabilities,
 * sentiment and the carried state, over {@code [B,1]} batches of several streams and {@code [1,T]}
 * chunks, for every shipped recurrent model.
 *
 * <p>Runs only where CUDA answers (the {@code -Pgpu} build on a machine with a device: {@code mvn
 * -Pgpu test -pl operators -am -Dtest=CudaEquivalenceTest}); elsewhere every case is skipped with
 * the probe's reason. Nothing in the default build or CI depends on it.
 */
class CudaEquivalenceTest {
  private static final float TOLERANCE = 1e-4f;
  private static final int STREAMS = 16;
  private static final int STEPS = 40;
  private static final int CHUNK = 64;

  @BeforeAll
  static void needsCuda() {
    Cuda.assumeUsable();
  }

  @ParameterizedTest
  @ValueSource(strings = {"rillet-gru", "demo-gru", "test-gru", "test-lstm", "test-rnn"})
  void cudaEqualsCpu(String name) throws Exception {
    Path dir = TestModels.get(name);
    try (Run cpu = new Run(dir, ExecutionProvider.CPU);
        Run cuda = new Run(dir, ExecutionProvider.CUDA)) {
      Random random = new Random(name.hashCode());
      long[][] batches = new long[STEPS][STREAMS];
      for (long[] step : batches) {
        for (int s = 0; s < STREAMS; s++) {
          step[s] = random.nextInt(cpu.model.vocabulary().size());
        }
      }
      long[] longRun = new long[CHUNK];
      for (int t = 0; t < CHUNK; t++) {
        longRun[t] = random.nextInt(cpu.model.vocabulary().size());
      }
      assertClose(cpu.batches(batches), cuda.batches(batches), "batches");
      assertClose(cpu.chunk(longRun), cuda.chunk(longRun), "chunk");
    }
  }

  private static void assertClose(float[] cpu, float[] cuda, String what) {
    assertThat(cuda).hasSameSizeAs(cpu);
    for (int i = 0; i < cpu.length; i++) {
      assertThat(cuda[i]).as("%s, value %d", what, i).isCloseTo(cpu[i], within(TOLERANCE));
    }
  }

  /** One model on one provider; outputs flattened as tag index, probability, sentiment, state. */
  private static final class Run implements AutoCloseable {
    final RecurrentModelPackage model;
    final RecurrentStepRunner runner;

    Run(Path dir, ExecutionProvider provider) throws Exception {
      try (OrtSession.SessionOptions options = new OrtSession.SessionOptions()) {
        assertThat(new OrtSettings(1, provider).configure(options)).isEqualTo(provider);
        model = RecurrentModelPackage.load(dir, OrtEnvironment.getEnvironment(), options);
      }
      runner = RecurrentStepRunner.on(model, STREAMS, CHUNK);
    }

    /** STEPS steps of STREAMS streams as [B,1] calls, each stream carrying its state. */
    float[] batches(long[][] tokens) throws Exception {
      int size = runner.packedStateSize();
      float[][] states = new float[STREAMS][size];
      Outputs out = new Outputs(runner, STEPS * STREAMS, STREAMS * size);
      for (long[] step : tokens) {
        for (int s = 0; s < STREAMS; s++) {
          runner.setToken(s, step[s]);
          runner.putState(STREAMS, s, states[s]);
        }
        runner.run(STREAMS);
        for (int s = 0; s < STREAMS; s++) {
          runner.getState(STREAMS, s, states[s]);
          out.add(runner, s);
        }
      }
      for (float[] state : states) {
        out.addState(state);
      }
      return out.values();
    }

    /** One stream's run as one [1,T] call from a zero state. */
    float[] chunk(long[] tokens) throws Exception {
      float[] state = new float[runner.packedStateSize()];
      Outputs out = new Outputs(runner, tokens.length, state.length);
      for (int t = 0; t < tokens.length; t++) {
        runner.setChunkToken(t, tokens[t]);
      }
      runner.putState(1, 0, state);
      runner.runChunk(tokens.length);
      runner.getState(1, 0, state);
      for (int t = 0; t < tokens.length; t++) {
        out.add(runner, t);
      }
      out.addState(state);
      return out.values();
    }

    @Override
    public void close() throws Exception {
      runner.close();
      model.close();
    }
  }

  /** Collects outputs into one array: per row tag, probability and sentiment; then states. */
  private static final class Outputs {
    private final float[] values;
    private final float[] probability = new float[1];
    private int n;

    Outputs(RecurrentStepRunner runner, int rows, int stateValues) {
      values = new float[rows * (2 + runner.sentimentCount()) + stateValues];
    }

    void add(RecurrentStepRunner runner, int row) {
      values[n++] = runner.bestTag(row, probability, 0);
      values[n++] = probability[0];
      float[] sentiment = new float[runner.sentimentCount()];
      if (sentiment.length > 0) {
        runner.sentimentSoftmax(row, sentiment);
        System.arraycopy(sentiment, 0, values, n, sentiment.length);
        n += sentiment.length;
      }
    }

    void addState(float[] state) {
      System.arraycopy(state, 0, values, n, state.length);
      n += state.length;
    }

    float[] values() {
      assertThat(n).isEqualTo(values.length);
      return values;
    }
  }
}
