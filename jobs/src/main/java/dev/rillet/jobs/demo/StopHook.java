package dev.rillet.jobs.demo;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Ctrl-C for the demo: a JVM shutdown hook that sets the stop flag the demo's loops watch, then
 * waits (up to 30 s) until the demo has cleaned up, so that the job is cancelled and the broker
 * closed before the JVM exits. {@link #close} says the demo has cleaned up and removes the hook.
 */
final class StopHook implements AutoCloseable {
  private static final long CLEAN_UP_SECONDS = 30;

  private final AtomicBoolean stop = new AtomicBoolean();
  private final CountDownLatch cleanedUp = new CountDownLatch(1);
  private final Thread hook;

  private StopHook() {
    hook =
        new Thread(
            () -> {
              stop.set(true);
              try {
                cleanedUp.await(CLEAN_UP_SECONDS, TimeUnit.SECONDS);
              } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
              }
            });
  }

  /** Registers the hook; close the returned object once the demo has cleaned up. */
  static StopHook install() {
    StopHook h = new StopHook();
    Runtime.getRuntime().addShutdownHook(h.hook);
    return h;
  }

  /** The flag set by Ctrl-C (or by the demo itself, to stop its feeder). */
  AtomicBoolean flag() {
    return stop;
  }

  @Override
  public void close() {
    cleanedUp.countDown();
    try {
      Runtime.getRuntime().removeShutdownHook(hook);
    } catch (IllegalStateException shuttingDown) {
      // the hook is running: it waited for us
    }
  }
}
