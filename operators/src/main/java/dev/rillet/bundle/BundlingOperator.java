package dev.rillet.bundle;

import dev.rillet.onnx.ExecutionProvider;
import dev.rillet.onnx.ExecutionProviderUnavailableException;
import java.util.StringJoiner;
import org.apache.flink.annotation.Internal;
import org.apache.flink.metrics.Histogram;
import org.apache.flink.runtime.execution.SuppressRestartsException;
import org.apache.flink.runtime.metrics.DescriptiveStatisticsHistogram;
import org.apache.flink.streaming.api.operators.AbstractStreamOperator;
import org.apache.flink.streaming.api.operators.OneInputStreamOperator;
import org.apache.flink.streaming.api.watermark.Watermark;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.slf4j.LoggerFactory;

/**
 * The flush triggers of a bundled operator, shared by every operator that buffers input in memory
 * and runs it through a model in batches: flush once the bundle holds {@code maxBundleTokens}
 * tokens, when the processing-time {@code maxDelay} after its first element passes, before a
 * watermark is forwarded, in {@link #prepareSnapshotPreBarrier} (so the buffer never needs
 * checkpointing) and in {@link #finish()}.
 *
 * <p>Subclasses keep the bundle itself, report what they add with {@link #bundled(int)} and run it
 * in {@link #flush()}; they call {@link #flushBundle()} when they need an early flush.
 *
 * <p><b>Work that must not run in one go.</b> The size and delay triggers call {@link
 * #flushPart()}, which by default is {@link #flush()}. A subclass whose bundle can hold more work
 * than one flush should do at once (the recurrent tagger's long events) may run a bounded part
 * there, leave the rest in the bundle, report it through {@link #unfinished()} and continue it
 * itself with {@link #flushBundlePart()}. While the bundle is unfinished a watermark is held back
 * rather than forcing the rest to run at once (which would stall every other stream); it is
 * forwarded, after a full flush, as soon as the bundle is finished. The checkpoint barrier and
 * {@link #finish()} still run everything first, so the buffer never needs checkpointing.
 *
 * <p>Output is emitted with {@link #emit}, which carries the timestamp the subclass kept for it
 * from the input ({@link #timestampOf}).
 *
 * <p><b>Sizes.</b> The bundle size and the subclass's batch limits are {@link BatchLimit}s, picked
 * in {@link #open()} for the execution provider the subclass's model runs on in this JVM ({@link
 * #resolveExecutionProvider()}): a default by provider, or what the user set. Each picked size is a
 * gauge of the same name ({@code maxBundleTokens} and {@code maxBatchSize} here, the subclass's own
 * through {@link #sized}), and {@link #logSizes()} logs them with the reason in one line per
 * subtask.
 */
@Internal
public abstract class BundlingOperator<IN, OUT> extends AbstractStreamOperator<OUT>
    implements OneInputStreamOperator<IN, OUT> {
  private static final long serialVersionUID = 1L;

  /** Stands for "no timestamp" in {@link #timestampOf} and {@link #emit}. */
  protected static final long NO_TIMESTAMP = Long.MIN_VALUE;

  private final BatchLimit maxBundleTokens;
  private final BatchLimit maxBatchSize;
  private final long maxDelayMillis;

  /** Where this subtask's model runs, CPU or CUDA; found in {@link #open()}. */
  private transient ExecutionProvider provider;

  /** {@link #maxBundleTokens} on {@link #provider}. */
  private transient int bundleTokensLimit;

  /** {@link #maxBatchSize} on {@link #provider}. */
  private transient int batchSizeLimit;

  /** Rows per model call: the histogram {@code batchSize}. */
  private transient Histogram batchSizes;

  /** Time per model call: the histogram {@code inferenceLatencyMicros}. */
  private transient Histogram inferenceMicros;

  /** The sizes picked so far in open(), with their reasons, for {@link #logSizes()}. */
  private transient StringJoiner sizes;

  private transient int bundledTokens;
  private transient boolean delayTimerPending;

  /** The newest watermark received while the bundle was {@link #unfinished()}; null if none. */
  private transient Watermark heldWatermark;

  /** The one output record, refilled for every emitted value (the operator emits one at a time). */
  private transient StreamRecord<OUT> reuse;

  /**
   * @param settings the subclass's builder, checked by its {@code build()}: the bundle size, batch
   *     size and latest flush are taken from it
   */
  protected BundlingOperator(BundlingBuilder<?> settings) {
    this.maxBundleTokens = settings.maxBundleTokens;
    this.maxBatchSize = settings.maxBatchSize;
    this.maxDelayMillis = settings.maxDelay.toMillis();
  }

  /**
   * Finds where the model runs and picks the bundle size for it. A subclass calls this first in its
   * own {@code open()}, then picks its batch limits with {@link #sized} and ends with {@link
   * #logSizes()}.
   *
   * @throws SuppressRestartsException when CUDA is asked for and cannot be used here: a restart
   *     would find no device either
   */
  @Override
  public void open() throws Exception {
    super.open();
    reuse = new StreamRecord<>(null);
    try {
      provider = resolveExecutionProvider();
    } catch (ExecutionProviderUnavailableException e) {
      throw new SuppressRestartsException(e);
    }
    sizes = new StringJoiner(", ");
    bundleTokensLimit = sized("maxBundleTokens", maxBundleTokens);
    batchSizeLimit = sized("maxBatchSize", maxBatchSize);
    batchSizes = histogram("batchSize");
    inferenceMicros = histogram("inferenceLatencyMicros");
  }

  /** A histogram of the last 1,000 values, registered as {@code name} in this operator's group. */
  protected final Histogram histogram(String name) {
    return getMetricGroup().histogram(name, new DescriptiveStatisticsHistogram(1000));
  }

  /**
   * Records one model call of {@code rows} rows (streams or sentences) that started at {@code
   * startNanos} ({@link System#nanoTime()}) and has just returned: the histograms {@code batchSize}
   * and {@code inferenceLatencyMicros}.
   */
  protected final void recordCall(int rows, long startNanos) {
    inferenceMicros.update((System.nanoTime() - startNanos) / 1000);
    batchSizes.update(rows);
  }

  /** At most this many rows (streams or sentences) per model call, as picked in {@link #open()}. */
  protected final int batchSize() {
    return batchSizeLimit;
  }

  /**
   * The provider the subclass's model runs on in this JVM, {@link ExecutionProvider#CPU} or {@link
   * ExecutionProvider#CUDA}; called once, in {@link #open()}, before the model is loaded.
   *
   * @throws ExecutionProviderUnavailableException when CUDA is asked for and cannot be used here
   */
  protected abstract ExecutionProvider resolveExecutionProvider();

  /** Where this subtask's model runs, as {@link #resolveExecutionProvider()} found in open(). */
  protected final ExecutionProvider executionProvider() {
    return provider;
  }

  /**
   * Picks {@code limit} for this subtask's provider, exports it as the gauge {@code name} and keeps
   * it, with why, for {@link #logSizes()}. Call in {@code open()}, after {@code super.open()}.
   *
   * @return the limit to use
   */
  protected final int sized(String name, BatchLimit limit) {
    int value = limit.on(provider);
    getMetricGroup().gauge(name, () -> value);
    sizes.add(name + " " + limit.explain(provider));
    return value;
  }

  /**
   * Logs, once per subtask, the sizes {@link #sized} picked and why. Ends the subclass's open().
   */
  protected final void logSizes() {
    // The subclass's logger, so that its log configuration covers the line.
    LoggerFactory.getLogger(getClass())
        .info(
            "{} (subtask {}) runs on {}: {}",
            // The operator's own name; getOperatorName() is the whole chain's.
            getOperatorConfig().getOperatorName(),
            getRuntimeContext().getTaskInfo().getIndexOfThisSubtask(),
            provider.label(),
            sizes);
  }

  /** The element's timestamp, or {@link #NO_TIMESTAMP}: what a bundle keeps until it emits. */
  protected static long timestampOf(StreamRecord<?> element) {
    return element.hasTimestamp() ? element.getTimestamp() : NO_TIMESTAMP;
  }

  /** Emits {@code value} with {@code timestamp}, or with none for {@link #NO_TIMESTAMP}. */
  protected final void emit(OUT value, long timestamp) {
    reuse.replace(value);
    if (timestamp == NO_TIMESTAMP) {
      reuse.eraseTimestamp();
    } else {
      reuse.setTimestamp(timestamp);
    }
    output.collect(reuse);
  }

  /**
   * Runs everything in the bundle and empties it. Called by the triggers; must do nothing when the
   * bundle is empty (a delay timer can fire after a size-triggered flush).
   */
  protected abstract void flush() throws Exception;

  /**
   * Runs at least part of the bundle: called by the size and delay triggers. The default runs
   * everything ({@link #flush()}). An override that leaves work behind must make {@link
   * #unfinished()} true until that work is done, and see to it that it gets done: nothing here
   * calls again on its behalf.
   */
  protected void flushPart() throws Exception {
    flush();
  }

  /** True while a {@link #flushPart()} has left work in the bundle. Default: never. */
  protected boolean unfinished() {
    return false;
  }

  /**
   * Records that the current element added {@code tokens} (>= 1) to the bundle: flushes when the
   * bundle is full, else makes sure a delay timer is armed.
   */
  protected final void bundled(int tokens) throws Exception {
    bundledTokens += tokens;
    if (bundledTokens >= bundleTokensLimit) {
      flushBundlePart();
    } else if (!delayTimerPending) {
      delayTimerPending = true;
      long now = getProcessingTimeService().getCurrentProcessingTime();
      getProcessingTimeService()
          .registerTimer(
              now + maxDelayMillis,
              time -> {
                delayTimerPending = false;
                flushBundlePart();
              });
    }
  }

  /** Flushes everything now and resets the size count; forwards a held watermark after it. */
  protected final void flushBundle() throws Exception {
    bundledTokens = 0;
    flush();
    if (heldWatermark != null) {
      Watermark mark = heldWatermark;
      heldWatermark = null;
      super.processWatermark(mark);
    }
  }

  /**
   * Runs {@link #flushPart()} now and resets the size count; when that finished the bundle and a
   * watermark is held, flushes the rest and forwards the watermark.
   */
  protected final void flushBundlePart() throws Exception {
    bundledTokens = 0;
    flushPart();
    if (heldWatermark != null && !unfinished()) {
      flushBundle();
    }
  }

  @Override
  public void processWatermark(Watermark mark) throws Exception {
    if (unfinished()) {
      // Watermarks only grow, so the newest one held stands for all earlier ones.
      heldWatermark = mark;
      return;
    }
    flushBundle();
    super.processWatermark(mark);
  }

  @Override
  public void prepareSnapshotPreBarrier(long checkpointId) throws Exception {
    super.prepareSnapshotPreBarrier(checkpointId);
    flushBundle();
  }

  @Override
  public void finish() throws Exception {
    flushBundle();
    super.finish();
  }
}
