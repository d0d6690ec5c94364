package dev.rillet.onnx;

import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import java.io.IOException;
import java.nio.file.Path;
import org.apache.flink.annotation.Internal;

/**
 * Reference-counted cache of loaded model packages, so that all operator subtasks in one
 * TaskManager JVM that use the same package share one {@link OrtSession} (one copy of the weights,
 * one thread pool) instead of loading it per subtask.
 *
 * <p>Packages are keyed by (canonical folder path, {@link OrtSettings}). The first {@link #acquire}
 * loads the package; later ones return the same instance; closing the last {@link
 * SharedCache.Lease} closes its session, and a later acquire loads it afresh. All sessions use
 * {@link OrtEnvironment#getEnvironment()}, which is never closed. Thread-safe.
 *
 * <p>Scope: the cache lives in this class's static state, so it is shared by everything that sees
 * the same loaded {@code SharedOrt} class (JVM-wide when it sits in Flink's {@code lib/}; per job
 * classloader when it is shipped in the job jar).
 */
@Internal
public final class SharedOrt {
  private static final SharedCache<Key, Loaded> PACKAGES =
      new SharedCache<>(SharedOrt::load, SharedOrt::unload);

  private SharedOrt() {}

  /**
   * {@link #acquire(Path, OrtSettings)} with {@code intraOpThreads} threads on the {@link
   * ExecutionProvider#AUTO} provider.
   *
   * @throws IllegalArgumentException when intraOpThreads &lt; 1
   */
  public static SharedCache.Lease<RecurrentModelPackage> acquire(Path dir, int intraOpThreads) {
    return acquire(dir, OrtSettings.of(intraOpThreads));
  }

  /**
   * Returns a lease on the package in {@code dir}, loading it on first use with a session made with
   * {@code settings}.
   *
   * @throws ModelPackageException when the package cannot be loaded or is invalid
   */
  public static SharedCache.Lease<RecurrentModelPackage> acquire(Path dir, OrtSettings settings) {
    SharedCache.Lease<Loaded> lease = PACKAGES.acquire(new Key(canonical(dir), settings));
    return new SharedCache.Lease<>(lease.get().pkg(), lease::close);
  }

  /** Number of open leases on a package (0 when it is not loaded); for diagnostics and tests. */
  public static int references(Path dir, int intraOpThreads) {
    return PACKAGES.references(new Key(canonical(dir), OrtSettings.of(intraOpThreads)));
  }

  private static Loaded load(Key key) {
    OrtSession.SessionOptions options = new OrtSession.SessionOptions();
    try {
      key.settings.configure(options);
      RecurrentModelPackage pkg =
          RecurrentModelPackage.load(key.dir, OrtEnvironment.getEnvironment(), options);
      return new Loaded(pkg, options);
    } catch (OrtException e) {
      options.close();
      throw new ModelPackageException("cannot configure a session for " + key.dir + ": " + e, e);
    } catch (RuntimeException e) {
      options.close();
      throw e;
    }
  }

  private static void unload(Loaded loaded) {
    try {
      loaded.pkg().close();
    } finally {
      loaded.options().close();
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

  private record Key(Path dir, OrtSettings settings) {}

  private record Loaded(RecurrentModelPackage pkg, OrtSession.SessionOptions options) {}
}
