package dev.rillet.onnx;

import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import java.io.IOException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Reference-counted cache of loaded model packages, so that all operator subtasks in one
 * TaskManager JVM that use the same package share one {@link OrtSession} (one copy of the weights,
 * one thread pool) instead of loading it per subtask.
 *
 * <p>Packages are keyed by (canonical folder path, intra-op thread count). The first {@link
 * #acquire} loads the package; later ones return the same instance; closing the last {@link Lease}
 * closes its session, and a later acquire loads it afresh. All sessions use {@link
 * OrtEnvironment#getEnvironment()}, which is never closed. Thread-safe.
 *
 * <p>Scope: the cache lives in this class's static state, so it is shared by everything that sees
 * the same loaded {@code SharedOrt} class (JVM-wide when it sits in Flink's {@code lib/}; per job
 * classloader when it is shipped in the job jar).
 */
public final class SharedOrt {
  private static final Map<Key, Entry> PACKAGES = new HashMap<>();

  private SharedOrt() {}

  /**
   * Returns a lease on the package in {@code dir}, loading it on first use with a session of {@code
   * intraOpThreads} intra-op threads (inter-op 1, sequential execution, no spinning: idle pool
   * threads would otherwise burn the cores other subtasks need).
   *
   * @throws ModelPackageException when the package cannot be loaded or is invalid
   * @throws IllegalArgumentException when intraOpThreads &lt; 1
   */
  public static Lease<RecurrentModelPackage> acquire(Path dir, int intraOpThreads) {
    if (intraOpThreads < 1) {
      throw new IllegalArgumentException("intraOpThreads must be >= 1, got " + intraOpThreads);
    }
    Key key = new Key(canonical(dir), intraOpThreads);
    synchronized (PACKAGES) {
      Entry entry = PACKAGES.get(key);
      if (entry == null) {
        entry = load(key);
        PACKAGES.put(key, entry);
      }
      entry.references++;
      Entry leased = entry;
      return new Lease<>(entry.pkg, () -> release(key, leased));
    }
  }

  /** Number of open leases on a package (0 when it is not loaded); for diagnostics and tests. */
  public static int references(Path dir, int intraOpThreads) {
    Key key = new Key(canonical(dir), intraOpThreads);
    synchronized (PACKAGES) {
      Entry entry = PACKAGES.get(key);
      return entry == null ? 0 : entry.references;
    }
  }

  private static void release(Key key, Entry entry) {
    synchronized (PACKAGES) {
      if (--entry.references > 0) {
        return;
      }
      PACKAGES.remove(key);
    }
    // Close outside the lock: closing a session can take a while and needs no cache state.
    try {
      entry.pkg.close();
    } finally {
      entry.options.close();
    }
  }

  private static Entry load(Key key) {
    OrtSession.SessionOptions options = new OrtSession.SessionOptions();
    try {
      options.setIntraOpNumThreads(key.intraOpThreads);
      options.setInterOpNumThreads(1);
      options.setExecutionMode(OrtSession.SessionOptions.ExecutionMode.SEQUENTIAL);
      options.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
      options.addConfigEntry("session.intra_op.allow_spinning", "0");
      RecurrentModelPackage pkg =
          RecurrentModelPackage.load(key.dir, OrtEnvironment.getEnvironment(), options);
      return new Entry(pkg, options);
    } catch (OrtException e) {
      options.close();
      throw new ModelPackageException("cannot configure a session for " + key.dir + ": " + e, e);
    } catch (RuntimeException e) {
      options.close();
      throw e;
    }
  }

  private static Path canonical(Path dir) {
    try {
      return dir.toRealPath();
    } catch (IOException e) {
      throw new ModelPackageException(
          "model package folder " + dir + " does not exist or cannot be read: " + e, e);
    }
  }

  /**
   * One holder's claim on a shared value. Closing it (once; later closes do nothing) gives the
   * claim back; {@link #get()} after closing throws.
   */
  public static final class Lease<T> implements AutoCloseable {
    private final T value;
    private final Runnable onClose;
    private final AtomicBoolean closed = new AtomicBoolean();

    /** A claim on {@code value}; {@code onClose} runs once, on the first {@link #close()}. */
    public Lease(T value, Runnable onClose) {
      this.value = value;
      this.onClose = onClose;
    }

    public T get() {
      if (closed.get()) {
        throw new IllegalStateException("lease already closed");
      }
      return value;
    }

    @Override
    public void close() {
      if (closed.compareAndSet(false, true)) {
        onClose.run();
      }
    }
  }

  private static final class Key {
    final Path dir;
    final int intraOpThreads;

    Key(Path dir, int intraOpThreads) {
      this.dir = dir;
      this.intraOpThreads = intraOpThreads;
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof Key
          && ((Key) o).dir.equals(dir)
          && ((Key) o).intraOpThreads == intraOpThreads;
    }

    @Override
    public int hashCode() {
      return Objects.hash(dir, intraOpThreads);
    }
  }

  private static final class Entry {
    final RecurrentModelPackage pkg;
    final OrtSession.SessionOptions options;
    int references;

    Entry(RecurrentModelPackage pkg, OrtSession.SessionOptions options) {
      this.pkg = pkg;
      this.options = options;
    }
  }
}
