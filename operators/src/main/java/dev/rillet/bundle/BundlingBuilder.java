package dev.rillet.bundle;

import java.time.Duration;
import java.util.List;
import org.apache.flink.annotation.PublicEvolving;

/**
 * The settings every bundled operator's builder has: the bundle size ({@code maxBundleTokens}), the
 * streams or sentences per model call ({@code maxBatchSize}) and the latest flush ({@code
 * maxDelay}). Each operator's builder extends this with its own settings; the defaults are the
 * operator's (its {@code DEFAULT_*} constants, by execution provider) and are passed in by it.
 *
 * <p>The setters accept any value; the operator's {@code build()} calls {@link
 * #checkBundling(List)}, so that a bad bundle setting is reported with the operator's other
 * problems in one message. The operator hands the builder to {@link BundlingOperator}'s
 * constructor, which takes these three settings from it.
 *
 * @param <B> the operator's builder, returned by every setter so that calls chain
 */
@PublicEvolving
public abstract class BundlingBuilder<B extends BundlingBuilder<B>> {
  // Read by BundlingOperator's constructor, in this package.
  BatchLimit maxBundleTokens;
  BatchLimit maxBatchSize;
  Duration maxDelay;

  /**
   * @param maxBundleTokens the operator's default bundle size
   * @param maxBatchSize the operator's default batch size
   * @param maxDelay the operator's default latest flush
   */
  protected BundlingBuilder(
      BatchLimit maxBundleTokens, BatchLimit maxBatchSize, Duration maxDelay) {
    this.maxBundleTokens = maxBundleTokens;
    this.maxBatchSize = maxBatchSize;
    this.maxDelay = maxDelay;
  }

  /** This builder, as the operator's builder type. */
  @SuppressWarnings("unchecked")
  protected final B self() {
    return (B) this;
  }

  /**
   * Flush the bundle once it holds {@code n} tokens, on every provider. The default depends on the
   * operator and on where its model runs (see the operator's {@code DEFAULT_MAX_BUNDLE_TOKENS}).
   */
  public final B maxBundleTokens(int n) {
    return maxBundleTokens(BatchLimit.set(n));
  }

  /** The bundle size as a limit, a default by provider or a set value; checked by build(). */
  public final B maxBundleTokens(BatchLimit limit) {
    this.maxBundleTokens = limit;
    return self();
  }

  /**
   * At most {@code n} streams (the tagger) or sentences (ELMo) in one model call, on every
   * provider. The default depends on the operator and on where its model runs (see the operator's
   * {@code DEFAULT_MAX_BATCH_SIZE}).
   */
  public final B maxBatchSize(int n) {
    return maxBatchSize(BatchLimit.set(n));
  }

  /** The batch size as a limit, a default by provider or a set value; checked by build(). */
  public final B maxBatchSize(BatchLimit limit) {
    this.maxBatchSize = limit;
    return self();
  }

  /** Flush at the latest this long (processing time) after the bundle's first element. */
  public final B maxDelay(Duration d) {
    this.maxDelay = d;
    return self();
  }

  /**
   * Adds to {@code problems} what is wrong with the bundle settings; for the operator's build().
   */
  protected final void checkBundling(List<String> problems) {
    BatchLimit.check("maxBundleTokens", maxBundleTokens, problems);
    BatchLimit.check("maxBatchSize", maxBatchSize, problems);
    if (maxDelay == null || maxDelay.isNegative()) {
      problems.add("maxDelay must be a non-negative duration, got " + maxDelay);
    }
  }
}
