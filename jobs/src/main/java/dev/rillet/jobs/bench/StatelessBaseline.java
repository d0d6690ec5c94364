package dev.rillet.jobs.bench;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.rillet.jobs.pipeline.ModelLocator;
import dev.rillet.jobs.pipeline.PipelineOptions;
import dev.rillet.onnx.RecurrentModelPackage;
import dev.rillet.onnx.SharedCache;
import dev.rillet.onnx.SharedOrt;
import dev.rillet.recurrent.RecurrentStepRunner;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import org.HdrHistogram.Histogram;
import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.configuration.ConfigOptions;
import org.apache.flink.configuration.Configuration;

/**
 * What a stateless inference service has to do to tag a stream's new token from its left context:
 * run the model over the stream's last N tokens again, one {@code [1, N]} call per new token, from
 * a zero state. Measured in the bench's process on the same ONNX Runtime session the job uses
 * ({@link SharedOrt}), one thread, against Rillet's stateful step ({@code [B, 1]} with the kept
 * hidden state) in the same loop, and against the end-to-end figures of the bench's first job.
 */
final class StatelessBaseline {
  static final ConfigOption<String> WINDOWS =
      ConfigOptions.key("baseline-windows")
          .stringType()
          .defaultValue("16,64,256")
          .withDescription(
              "Context lengths N of the stateless baseline (one [1, N] call per new token);"
                  + " empty to skip it.");

  static final ConfigOption<Duration> DURATION =
      ConfigOptions.key("baseline-duration")
          .durationType()
          .defaultValue(Duration.ofSeconds(3))
          .withDescription("How long each baseline measurement calls the model.");

  private StatelessBaseline() {}

  static List<ConfigOption<?>> options() {
    return List.of(WINDOWS, DURATION);
  }

  /** One measured way of tagging tokens: tokens per second and per-call latency. */
  record Measured(String what, int batch, double tokensPerSecond, Histogram callMicros) {}

  record Result(List<Measured> rows, boolean failed) {}

  /**
   * Runs the baseline when {@link #WINDOWS} names any window and prints its table next to Rillet's
   * end-to-end figures of parallelism {@code firstP} (highest sustained rate, and the emit p99 of
   * the 50% row, when those exist), on {@code out}.
   */
  static Result runIfAsked(
      Configuration conf,
      ModelLocator.CheckedModel model,
      Double sustained,
      List<E2eBenchCommand.Row> rows,
      PrintStream out)
      throws OrtException {
    List<Integer> windows = new ArrayList<>();
    for (String w : conf.get(WINDOWS).split(",")) {
      if (!w.isBlank()) {
        windows.add(Integer.parseInt(w.trim()));
      }
    }
    if (windows.isEmpty()) {
      return null;
    }
    E2eBenchCommand.Row half = null;
    for (E2eBenchCommand.Row r : rows) {
      if (r.phase.equals("50%") && r.guarantee.equals("none") && half == null) {
        half = r;
      }
    }
    Duration duration = conf.get(DURATION);
    List<Measured> measured = new ArrayList<>();
    try (SharedCache.Lease<RecurrentModelPackage> lease =
        SharedOrt.acquire(model.dir(), PipelineOptions.ortSettings(conf))) {
      RecurrentModelPackage pkg = lease.get();
      // Warm-up of both kinds of call.
      stateful(pkg, 64, Duration.ofMillis(300));
      stateless(pkg, windows.get(0), Duration.ofMillis(300));
      measured.add(stateful(pkg, 1, duration));
      measured.add(stateful(pkg, 64, duration));
      for (int n : windows) {
        measured.add(stateless(pkg, n, duration));
      }
    }
    out.println();
    out.printf(
        "stateless baseline: model %s, one thread, %d intra-op thread(s), each row %d ms of calls"
            + " on the job's ONNX Runtime session; call latencies unloaded (one call at a time)%n",
        model.modelId(), conf.get(PipelineOptions.INTRA_OP_THREADS), duration.toMillis());
    out.printf(
        "%-34s %10s %10s %10s %16s%n",
        "how a new token is tagged", "tokens/s", "call p50", "call p99", "stateful[64,1] /");
    double batched = measured.get(1).tokensPerSecond();
    for (Measured m : measured) {
      out.printf(
          Locale.ROOT,
          "%-34s %10.0f %8.3fms %8.3fms %15.1fx%n",
          m.what(),
          m.tokensPerSecond(),
          m.callMicros().getValueAtPercentile(50) / 1000.0,
          m.callMicros().getValueAtPercentile(99) / 1000.0,
          batched / m.tokensPerSecond());
    }
    if (sustained != null && sustained > 0) {
      out.println();
      out.printf(
          Locale.ROOT,
          "Rillet end to end (Kafka in and out, parallelism %d): %.0f tokens/s sustained%s%n",
          half == null ? 0 : half.parallelism,
          sustained,
          half == null
              ? ""
              : String.format(
                  Locale.ROOT,
                  ", emit p99 %d ms at %.0f tokens/s",
                  half.emit.getValueAtPercentile(99),
                  half.target));
      out.printf(
          "%-8s %16s %16s %8s %18s%n",
          "N", "baseline tok/s", "Rillet e2e tok/s", "ratio", "baseline call p99");
      for (Measured m : measured.subList(2, measured.size())) {
        out.printf(
            Locale.ROOT,
            "%-8d %16.0f %16.0f %7.1fx %16.3fms%n",
            m.batch(),
            m.tokensPerSecond(),
            sustained,
            sustained / m.tokensPerSecond(),
            m.callMicros().getValueAtPercentile(99) / 1000.0);
      }
    }
    return new Result(measured, false);
  }

  /** Rillet's step: {@code [batch, 1]} token ids with each row's kept state. */
  static Measured stateful(RecurrentModelPackage pkg, int batch, Duration duration)
      throws OrtException {
    try (RecurrentStepRunner runner = RecurrentStepRunner.on(pkg, batch, 1)) {
      Random random = new Random(3);
      float[] state = new float[runner.packedStateSize()];
      float[] probability = new float[1];
      Histogram calls = new Histogram(60_000_000L, 3);
      long tokens = 0;
      long start = System.nanoTime();
      long end = start + duration.toNanos();
      long now = start;
      while (now < end) {
        for (int row = 0; row < batch; row++) {
          runner.setToken(row, 2 + random.nextInt(pkg.vocabulary().size() - 2));
          runner.putState(batch, row, state);
        }
        runner.run(batch);
        for (int row = 0; row < batch; row++) {
          runner.getState(batch, row, state);
          runner.bestTag(row, probability, 0);
        }
        long after = System.nanoTime();
        calls.recordValue((after - now) / 1000);
        now = after;
        tokens += batch;
      }
      return new Measured(
          String.format("Rillet step, kept state [%d, 1]", batch),
          batch,
          tokens * 1e9 / (now - start),
          calls);
    }
  }

  /** The stateless service: {@code [1, n]} over the last n tokens, zero state, per new token. */
  static Measured stateless(RecurrentModelPackage pkg, int n, Duration duration)
      throws OrtException {
    OrtEnvironment env = OrtEnvironment.getEnvironment();
    Random random = new Random(5);
    long[] window = new long[n];
    for (int i = 0; i < n; i++) {
      window[i] = 2 + random.nextInt(pkg.vocabulary().size() - 2);
    }
    LongBuffer ids =
        ByteBuffer.allocateDirect(n * Long.BYTES).order(ByteOrder.nativeOrder()).asLongBuffer();
    Map<String, OnnxTensor> inputs = new HashMap<>();
    try {
      inputs.put(pkg.tokenIdsInput(), OnnxTensor.createTensor(env, ids, new long[] {1, n}));
      for (String s : pkg.stateInputs()) {
        FloatBuffer zeros =
            ByteBuffer.allocateDirect(pkg.layers() * pkg.hidden() * Float.BYTES)
                .order(ByteOrder.nativeOrder())
                .asFloatBuffer();
        inputs.put(
            s, OnnxTensor.createTensor(env, zeros, new long[] {pkg.layers(), 1, pkg.hidden()}));
      }
      Histogram calls = new Histogram(60_000_000L, 3);
      long tokens = 0;
      int next = 0;
      long start = System.nanoTime();
      long end = start + duration.toNanos();
      long now = start;
      while (now < end) {
        // The window slides by one token: the new token replaces the oldest.
        window[next] = 2 + random.nextInt(pkg.vocabulary().size() - 2);
        next = (next + 1) % n;
        for (int i = 0; i < n; i++) {
          ids.put(i, window[(next + i) % n]);
        }
        try (OrtSession.Result result = pkg.session().run(inputs)) {
          // Only the last position's tag is new; reading it is the service's answer.
          float[][][] logits = (float[][][]) result.get(pkg.tagLogitsOutput()).get().getValue();
          if (logits[0].length != n) {
            throw new IllegalStateException("tag logits of " + logits[0].length + " steps");
          }
        }
        long after = System.nanoTime();
        calls.recordValue((after - now) / 1000);
        now = after;
        tokens++;
      }
      return new Measured(
          String.format("stateless, last %d tokens [1, %d]", n, n),
          n,
          tokens * 1e9 / (now - start),
          calls);
    } finally {
      inputs.values().forEach(OnnxTensor::close);
    }
  }
}
