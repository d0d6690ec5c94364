package dev.rillet.jobs.live;

import java.io.PrintStream;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.core.execution.SavepointFormatType;
import sun.misc.Signal;
import sun.misc.SignalHandler;

/**
 * While installed, SIGTERM and SIGINT (Ctrl-C) stop the running job with a savepoint into the state
 * directory instead of ending the JVM. A signal handler, not a shutdown hook: once the JVM shuts
 * down, Flink's own hooks close the MiniCluster's blob server and I/O managers concurrently with
 * any hook of ours, and the savepoint would race them. A second signal while the savepoint is being
 * taken ends the process at once (the latest retained checkpoint stays in the state directory).
 */
final class SavepointOnSignal implements AutoCloseable {
  private static final String[] SIGNALS = {"TERM", "INT"};

  private final JobClient client;
  private final String savepointDir;
  private final PrintStream err;
  private final Map<Signal, SignalHandler> previous = new HashMap<>();
  private final AtomicReference<String> signal = new AtomicReference<>();
  private final CompletableFuture<String> savepoint = new CompletableFuture<>();

  private SavepointOnSignal(JobClient client, String savepointDir, PrintStream err) {
    this.client = client;
    this.savepointDir = savepointDir;
    this.err = err;
  }

  /** Installs the handlers for {@code client}'s job; close() puts the previous ones back. */
  static SavepointOnSignal install(JobClient client, String savepointDir, PrintStream err) {
    SavepointOnSignal s = new SavepointOnSignal(client, savepointDir, err);
    for (String name : SIGNALS) {
      Signal sig = new Signal(name);
      s.previous.put(sig, Signal.handle(sig, s::handle));
    }
    return s;
  }

  private void handle(Signal sig) {
    if (!signal.compareAndSet(null, "SIG" + sig.getName())) {
      err.println(
          "rillet live: SIG"
              + sig.getName()
              + " again: exiting without waiting for the savepoint; the latest completed"
              + " checkpoint in the state directory is kept");
      System.exit(128 + sig.getNumber());
      return;
    }
    err.println(
        "rillet live: SIG"
            + sig.getName()
            + ": stopping with a savepoint into "
            + savepointDir
            + " (again to exit at once)");
    client
        .stopWithSavepoint(false, savepointDir, SavepointFormatType.CANONICAL)
        .whenComplete(
            (path, failure) -> {
              if (failure != null) {
                savepoint.completeExceptionally(failure);
              } else {
                savepoint.complete(path);
              }
            });
  }

  /** The signal that asked for the stop ("SIGTERM"), or null if none came. */
  String signal() {
    return signal.get();
  }

  /** Completes with the savepoint's path once a signal's stop-with-savepoint is done. */
  CompletableFuture<String> savepoint() {
    return savepoint;
  }

  @Override
  public void close() {
    previous.forEach(Signal::handle);
  }
}
