package dev.rillet.jobs.bench;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.rillet.onnx.RecurrentModelPackage;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.LongBuffer;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Random;

/**
 * The model alone, with no Flink: {@code B} streams with {@code T} new tokens each, run either as T
 * {@code [B,1]} calls (what the tagger does: one step of every stream per call) or as one {@code
 * [B,T]} call (what batching runs of tokens across streams would do). Streams with equal run
 * lengths need no padding, so the two give the same outputs; only the call boundaries differ. This
 * measures whether the second pays on the machine, before the tagger is taught to group streams by
 * run length.
 *
 * <p>Each shape is timed in alternating rounds (stepped, whole, stepped, ...) so that a change in
 * the machine's load hits both alike; the median round of each is reported.
 */
final class CallShapes {
  private static final int ROUNDS = 7;
  private static final long ROUND_NANOS = 300_000_000L;

  private CallShapes() {}

  /** Prints one row per run length: microseconds per token of both shapes and their ratio. */
  static void compare(RecurrentModelPackage model, int batch, int[] runLengths, PrintStream out)
      throws OrtException {
    compare(model, batch, runLengths, ROUND_NANOS, out);
  }

  /**
   * {@link #compare(RecurrentModelPackage, int, int[], PrintStream)} with rounds of this length.
   */
  static void compare(
      RecurrentModelPackage model, int batch, int[] runLengths, long roundNanos, PrintStream out)
      throws OrtException {
    out.printf(
        Locale.ROOT,
        "model alone: %d streams x T tokens as T [%d,1] calls vs one [%d,T] call (median of %d"
            + " alternating rounds, one thread)%n",
        batch,
        batch,
        batch,
        ROUNDS);
    out.printf(
        Locale.ROOT, "%-4s %18s %18s %9s%n", "T", "T x [B,1] us/tok", "1 x [B,T] us/tok", "ratio");
    OrtEnvironment env = OrtEnvironment.getEnvironment();
    for (int t : runLengths) {
      try (Shape stepped = new Shape(env, model, batch, 1, t);
          Shape whole = new Shape(env, model, batch, t, 1)) {
        double[] steppedMicros = new double[ROUNDS];
        double[] wholeMicros = new double[ROUNDS];
        stepped.round(roundNanos); // warm-up: first calls of a new shape plan their kernels
        whole.round(roundNanos);
        for (int r = 0; r < ROUNDS; r++) {
          steppedMicros[r] = stepped.round(roundNanos);
          wholeMicros[r] = whole.round(roundNanos);
        }
        double s = median(steppedMicros);
        double w = median(wholeMicros);
        out.printf(Locale.ROOT, "%-4d %18.2f %18.2f %8.2fx%n", t, s, w, s / w);
      }
    }
  }

  private static double median(double[] values) {
    double[] sorted = values.clone();
    Arrays.sort(sorted);
    return sorted[sorted.length / 2];
  }

  /** The inputs of {@code calls} calls of shape {@code [b,t]}, made once and reused. */
  private static final class Shape implements AutoCloseable {
    private final OrtSession session;
    private final Map<String, OnnxTensor> inputs = new HashMap<>();
    private final int calls;
    private final long tokensPerRepeat;

    Shape(OrtEnvironment env, RecurrentModelPackage model, int b, int t, int calls)
        throws OrtException {
      this.session = model.session();
      this.calls = calls;
      this.tokensPerRepeat = (long) b * t * calls;
      Random random = new Random(b * 31L + t);
      LongBuffer ids =
          ByteBuffer.allocateDirect(b * t * Long.BYTES)
              .order(ByteOrder.nativeOrder())
              .asLongBuffer();
      int vocabulary = model.vocabulary().size();
      for (int i = 0; i < b * t; i++) {
        ids.put(i, random.nextInt(vocabulary));
      }
      try {
        inputs.put(model.tokenIdsInput(), OnnxTensor.createTensor(env, ids, new long[] {b, t}));
        int stateFloats = model.layers() * b * model.hidden();
        for (String name : model.stateInputs()) {
          inputs.put(
              name,
              OnnxTensor.createTensor(
                  env,
                  ByteBuffer.allocateDirect(stateFloats * Float.BYTES)
                      .order(ByteOrder.nativeOrder())
                      .asFloatBuffer(),
                  new long[] {model.layers(), b, model.hidden()}));
        }
      } catch (OrtException | RuntimeException e) {
        close();
        throw e;
      }
    }

    /** Repeats the calls for at least {@code nanos}; returns microseconds per token. */
    double round(long nanos) throws OrtException {
      long tokens = 0;
      long start = System.nanoTime();
      long elapsed;
      do {
        for (int c = 0; c < calls; c++) {
          try (OrtSession.Result ignored = session.run(inputs)) {
            // outputs are discarded: only the time of the call counts here
          }
        }
        tokens += tokensPerRepeat;
        elapsed = System.nanoTime() - start;
      } while (elapsed < nanos);
      return elapsed / 1e3 / tokens;
    }

    @Override
    public void close() {
      inputs.values().forEach(OnnxTensor::close);
      inputs.clear();
    }
  }
}
