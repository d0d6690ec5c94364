package dev.rillet.bundle;

import java.time.Duration;
import org.apache.flink.streaming.api.operators.AbstractStreamOperator;
import org.apache.flink.streaming.api.operators.OneInputStreamOperator;
import org.apache.flink.streaming.api.watermark.Watermark;

/**
 * The flush triggers of a bundled operator, shared by every operator that buffers input in memory
 * and runs it through a model in batches: flush once the bundle holds {@code maxBundleTokens}
 * tokens, when the processing-time {@code maxDelay} after its first element passes, before a
 * watermark is forwarded, in {@link #prepareSnapshotPreBarrier} (so the buffer never needs
 * checkpointing) and in {@link #finish()}.
 *
 * <p>Subclasses keep the bundle itself, report what they add with {@link #bundled(int)} and run it
 * in {@link #flush()}; they call {@link #flushBundle()} when they need an early flush.
 */
public abstract class BundlingOperator<IN, OUT> extends AbstractStreamOperator<OUT>
    implements OneInputStreamOperator<IN, OUT> {
  private static final long serialVersionUID = 1L;

  private final int maxBundleTokens;
  private final long maxDelayMillis;

  private transient int bundledTokens;
  private transient boolean delayTimerPending;

  protected BundlingOperator(int maxBundleTokens, Duration maxDelay) {
    this.maxBundleTokens = maxBundleTokens;
    this.maxDelayMillis = maxDelay.toMillis();
  }

  /**
   * Runs everything in the bundle and empties it. Called by the triggers; must do nothing when the
   * bundle is empty (a delay timer can fire after a size-triggered flush).
   */
  protected abstract void flush() throws Exception;

  /**
   * Records that the current element added {@code tokens} (>= 1) to the bundle: flushes when the
   * bundle is full, else makes sure a delay timer is armed.
   */
  protected final void bundled(int tokens) throws Exception {
    bundledTokens += tokens;
    if (bundledTokens >= maxBundleTokens) {
      flushBundle();
    } else if (!delayTimerPending) {
      delayTimerPending = true;
      long now = getProcessingTimeService().getCurrentProcessingTime();
      getProcessingTimeService()
          .registerTimer(
              now + maxDelayMillis,
              time -> {
                delayTimerPending = false;
                flushBundle();
              });
    }
  }

  /** Flushes now and resets the size count. */
  protected final void flushBundle() throws Exception {
    bundledTokens = 0;
    flush();
  }

  @Override
  public void processWatermark(Watermark mark) throws Exception {
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
