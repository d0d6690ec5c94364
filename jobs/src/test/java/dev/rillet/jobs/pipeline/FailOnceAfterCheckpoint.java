package dev.rillet.jobs.pipeline;

import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.functions.RichMapFunction;
import org.apache.flink.api.common.state.CheckpointListener;

/**
 * Passes records through and fails its task once in the whole JVM (a MiniCluster runs in the test's
 * JVM, so the counts are shared with the test and with restarted instances): on the {@code
 * after}-th record since the latest checkpoint it was told of, once one completed after it passed
 * records. The outputs of the records in between sit in open transactions when it fails.
 */
final class FailOnceAfterCheckpoint<T> extends RichMapFunction<T, T> implements CheckpointListener {
  /** Failures injected so far. */
  static final AtomicInteger FAILURES = new AtomicInteger();

  /** Subtask instances opened so far: more than the parallelism means the job was restarted. */
  static final AtomicInteger OPENED = new AtomicInteger();

  private static volatile CountDownLatch checkpointAfterRecords = new CountDownLatch(1);

  private final int after;
  private long passed;
  private boolean armed;
  private long sinceCheckpoint;

  FailOnceAfterCheckpoint(int after) {
    this.after = after;
  }

  /** Clears the counts before a run. */
  static void reset() {
    FAILURES.set(0);
    OPENED.set(0);
    checkpointAfterRecords = new CountDownLatch(1);
  }

  /** Waits until some instance was told of a checkpoint completed after it passed records. */
  static void awaitCheckpointAfterRecords(Duration timeout) throws InterruptedException {
    if (!checkpointAfterRecords.await(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
      throw new IllegalStateException("no checkpoint completed within " + timeout);
    }
  }

  @Override
  public void open(OpenContext context) {
    OPENED.incrementAndGet();
  }

  @Override
  public T map(T value) {
    passed++;
    if (armed && ++sinceCheckpoint >= after && FAILURES.compareAndSet(0, 1)) {
      throw new IllegalStateException(
          "injected failure " + sinceCheckpoint + " records after a checkpoint");
    }
    return value;
  }

  @Override
  public void notifyCheckpointComplete(long checkpointId) {
    if (passed > 0) {
      armed = true;
      sinceCheckpoint = 0;
      checkpointAfterRecords.countDown();
    }
  }
}
