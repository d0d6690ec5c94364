package dev.rillet.recurrent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import dev.rillet.onnx.RecurrentModelPackage;
import dev.rillet.testutils.TestModels;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * A stream's run of T tokens stepped as {@code [1,T]} chunks must give what T single {@code [1,1]}
 * steps give: every step's tag, tag probability and sentiment, and the final state, within 1e-5.
 * Chunk boundaries fall inside the run when T is larger than the chunk size (1000 = 3 x 256 + 232).
 */
class RecurrentStepRunnerTest {
  private static final float TOLERANCE = 1e-5f;
  private static final int CHUNK = 256;

  static Stream<Arguments> cases() {
    List<Arguments> cases = new ArrayList<>();
    for (String model : List.of("test-gru", "test-lstm", "test-rnn")) {
      for (int length : new int[] {1, 2, 7, 256, 1000}) {
        cases.add(Arguments.of(model, length));
      }
    }
    return cases.stream();
  }

  @ParameterizedTest(name = "{0} T={1}")
  @MethodSource("cases")
  void chunkedRunEqualsSingleSteps(String modelName, int length) throws Exception {
    try (RecurrentModelPackage model = load(modelName);
        RecurrentStepRunner runner = runner(model, 4, CHUNK)) {
      Random random = new Random(length * 31L + modelName.hashCode());
      long[] ids = new long[length];
      for (int i = 0; i < length; i++) {
        ids[i] = random.nextInt(model.vocabulary().size());
      }
      // A state that is not zero: the chunk must start from the state it is given.
      float[] start = new float[runner.packedStateSize()];
      for (int j = 0; j < start.length; j++) {
        start[j] = random.nextFloat() * 0.2f - 0.1f;
      }
      Steps single = stepOneByOne(runner, ids, start);
      Steps chunked = stepInChunks(runner, ids, start);

      for (int i = 0; i < length; i++) {
        assertThat(chunked.tags[i]).as("tag of step %d", i).isEqualTo(single.tags[i]);
        assertThat(chunked.probabilities[i])
            .as("probability of step %d", i)
            .isCloseTo(single.probabilities[i], within(TOLERANCE));
        for (int c = 0; c < runner.sentimentCount(); c++) {
          assertThat(chunked.sentiment[i][c])
              .as("sentiment %d of step %d", c, i)
              .isCloseTo(single.sentiment[i][c], within(TOLERANCE));
        }
      }
      for (int j = 0; j < start.length; j++) {
        assertThat(chunked.state[j])
            .as("final state[%d]", j)
            .isCloseTo(single.state[j], within(TOLERANCE));
      }
    }
  }

  @Test
  void batchesStillRunNextToChunksOnTheSameBuffers() throws Exception {
    // A chunk between two batches must not disturb them: rows of a [B,1] call read the same
    // buffers a [1,T] call wrote.
    try (RecurrentModelPackage model = load("test-gru");
        RecurrentStepRunner runner = runner(model, 3, 8)) {
      float[] state = new float[runner.packedStateSize()];
      float[] p = new float[1];
      int[] before = new int[3];
      for (int row = 0; row < 3; row++) {
        runner.setToken(row, 5 + row);
        runner.putState(3, row, state);
      }
      runner.run(3);
      for (int row = 0; row < 3; row++) {
        before[row] = runner.bestTag(row, p, 0);
      }
      for (int t = 0; t < 8; t++) {
        runner.setChunkToken(t, 40 + t);
      }
      runner.putState(1, 0, state);
      runner.runChunk(8);
      for (int row = 0; row < 3; row++) {
        runner.setToken(row, 5 + row);
        runner.putState(3, row, state);
      }
      runner.run(3);
      for (int row = 0; row < 3; row++) {
        assertThat(runner.bestTag(row, p, 0)).isEqualTo(before[row]);
      }
    }
  }

  @Test
  void refusesChunksLongerThanItsBuffers() throws Exception {
    try (RecurrentModelPackage model = load("test-gru");
        RecurrentStepRunner runner = runner(model, 4, 16)) {
      assertThat(runner.maxChunk()).isEqualTo(16);
      assertThatThrownBy(() -> runner.runChunk(17)).hasMessageContaining("not in 1..16");
      assertThatThrownBy(() -> runner.runChunk(0)).hasMessageContaining("not in 1..16");
    }
  }

  private static Steps stepOneByOne(RecurrentStepRunner runner, long[] ids, float[] start)
      throws Exception {
    Steps out = new Steps(ids.length, runner);
    float[] state = start.clone();
    for (int i = 0; i < ids.length; i++) {
      runner.setToken(0, ids[i]);
      runner.putState(1, 0, state);
      runner.run(1);
      runner.getState(1, 0, state);
      out.tags[i] = runner.bestTag(0, out.probabilities, i);
      if (runner.sentimentCount() > 0) {
        runner.sentimentSoftmax(0, out.sentiment[i]);
      }
    }
    out.state = state;
    return out;
  }

  private static Steps stepInChunks(RecurrentStepRunner runner, long[] ids, float[] start)
      throws Exception {
    Steps out = new Steps(ids.length, runner);
    float[] state = start.clone();
    for (int from = 0; from < ids.length; from += runner.maxChunk()) {
      int steps = Math.min(runner.maxChunk(), ids.length - from);
      for (int t = 0; t < steps; t++) {
        runner.setChunkToken(t, ids[from + t]);
      }
      runner.putState(1, 0, state);
      runner.runChunk(steps);
      runner.getState(1, 0, state);
      for (int t = 0; t < steps; t++) {
        out.tags[from + t] = runner.bestTag(t, out.probabilities, from + t);
        if (runner.sentimentCount() > 0) {
          runner.sentimentSoftmax(t, out.sentiment[from + t]);
        }
      }
    }
    out.state = state;
    return out;
  }

  private static RecurrentModelPackage load(String name) {
    return RecurrentModelPackage.load(
        TestModels.get(name), OrtEnvironment.getEnvironment(), new OrtSession.SessionOptions());
  }

  private static RecurrentStepRunner runner(RecurrentModelPackage m, int batch, int chunk) {
    return RecurrentStepRunner.on(m, batch, chunk);
  }

  /** Per-step outputs of one run. */
  private static final class Steps {
    final int[] tags;
    final float[] probabilities;
    final float[][] sentiment;
    float[] state;

    Steps(int length, RecurrentStepRunner runner) {
      tags = new int[length];
      probabilities = new float[length];
      sentiment = new float[length][runner.sentimentCount()];
    }
  }
}
