package dev.rillet.jobs.pipeline;

import org.apache.flink.api.common.accumulators.LongCounter;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.functions.ProcessFunction;
import org.apache.flink.util.Collector;

/**
 * The backfill's {@link OutputGate}: drops the outputs of warm-up records (record timestamp below
 * {@code from}) and outputs stamped at or after {@code to} (a sentence that the end of the input
 * closes by its idle deadline past the range: live, later events decide it), and counts what each
 * topic gets, in the accumulator {@link #outputsAccumulator}.
 *
 * <p>Every output carries the timestamp of the input event it came from (the pipeline assigns
 * {@code eventTime}; rejected records keep their Kafka record timestamp), so the cut is by the
 * input event's time whatever the output type.
 */
public final class WarmupGate implements OutputGate {
  private static final long serialVersionUID = 1L;

  /** Accumulator prefix of the per-topic output counts; the topic name follows it. */
  public static final String OUTPUTS_PREFIX = "outputs:";

  /** Accumulator prefix of the per-topic counts of warm-up outputs dropped. */
  public static final String SUPPRESSED_PREFIX = "suppressed:";

  private final long from;
  private final long to;

  /**
   * @param from outputs of records with a timestamp below this are dropped
   * @param to outputs with a timestamp at or after this are dropped
   */
  public WarmupGate(long from, long to) {
    this.from = from;
    this.to = to;
  }

  /** The accumulator that counts the records written to {@code topic}. */
  public static String outputsAccumulator(String topic) {
    return OUTPUTS_PREFIX + topic;
  }

  @Override
  public <T> DataStream<T> apply(DataStream<T> stream, String topic) {
    return stream
        .process(
            new Cut<T>(from, to, outputsAccumulator(topic), SUPPRESSED_PREFIX + topic),
            stream.getType())
        .uid("warmup-cut-" + topic)
        .name("warmup-cut " + topic);
  }

  /** Forwards records timestamped in [from, to) (and untimestamped ones). */
  static final class Cut<T> extends ProcessFunction<T, T> {
    private static final long serialVersionUID = 1L;

    private final long from;
    private final long to;
    private final String accumulator;
    private final String suppressedAccumulator;
    private transient LongCounter written;
    private transient LongCounter suppressed;

    Cut(long from, long to, String accumulator, String suppressedAccumulator) {
      this.from = from;
      this.to = to;
      this.accumulator = accumulator;
      this.suppressedAccumulator = suppressedAccumulator;
    }

    @Override
    public void open(OpenContext openContext) {
      written = new LongCounter();
      suppressed = new LongCounter();
      getRuntimeContext().addAccumulator(accumulator, written);
      getRuntimeContext().addAccumulator(suppressedAccumulator, suppressed);
    }

    @Override
    public void processElement(T value, Context ctx, Collector<T> out) {
      Long ts = ctx.timestamp();
      if (ts != null && (ts < from || ts >= to)) {
        suppressed.add(1L);
        return;
      }
      written.add(1L);
      out.collect(value);
    }
  }
}
