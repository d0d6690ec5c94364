package dev.rillet.onnx;

import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import java.util.function.Function;
import org.apache.flink.annotation.Internal;

/**
 * A reference-counted cache of expensive native resources (ONNX sessions and what they hold), so
 * that all operator subtasks in one TaskManager JVM share one loaded copy per key.
 *
 * <p>The first {@link #acquire} of a key loads the value; later ones return the same instance;
 * closing the last {@link Lease} closes the value (outside the lock), and a later acquire loads it
 * afresh. A failed load leaves nothing behind. Thread-safe.
 *
 * <p>Scope: a cache held in a static field is shared by everything that sees the same loaded class
 * (JVM-wide when it sits in Flink's {@code lib/}; per job classloader when shipped in the job jar).
 */
@Internal
public final class SharedCache<K, V> {
  private final Map<K, Entry<V>> entries = new HashMap<>();
  private final Function<K, V> loader;
  private final Consumer<V> closer;

  /**
   * @param loader loads the value of a key; its exceptions reach the caller of {@link #acquire}
   * @param closer releases a value when its last lease is closed
   */
  public SharedCache(Function<K, V> loader, Consumer<V> closer) {
    this.loader = loader;
    this.closer = closer;
  }

  /** A lease on the value of {@code key}, loading it on first use. */
  public Lease<V> acquire(K key) {
    synchronized (entries) {
      Entry<V> entry = entries.get(key);
      if (entry == null) {
        entry = new Entry<>(loader.apply(key));
        entries.put(key, entry);
      }
      entry.references++;
      Entry<V> leased = entry;
      return new Lease<>(entry.value, () -> release(key, leased));
    }
  }

  /** Open leases on {@code key} (0 when not loaded); for diagnostics and tests. */
  public int references(K key) {
    synchronized (entries) {
      Entry<V> e = entries.get(key);
      return e == null ? 0 : e.references;
    }
  }

  private void release(K key, Entry<V> entry) {
    synchronized (entries) {
      if (--entry.references > 0) {
        return;
      }
      entries.remove(key);
    }
    // Close outside the lock: closing a session can take a while and needs no cache state.
    closer.accept(entry.value);
  }

  private static final class Entry<V> {
    final V value;
    int references;

    Entry(V value) {
      this.value = value;
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
}
