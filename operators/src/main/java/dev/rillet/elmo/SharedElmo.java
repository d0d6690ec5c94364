package dev.rillet.elmo;

import dev.rillet.onnx.ModelPackageException;
import dev.rillet.onnx.SharedOrt;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/**
 * Reference-counted cache of loaded ELMo models with their task heads, so that every {@link
 * SentenceElmo} subtask in one TaskManager JVM shares one copy of the weights (the original ELMo is
 * ~374 MB of fp32) and one pair of ONNX sessions. Keyed by (model source, stateful, heads folder,
 * sentiment head, intra-op threads); the first {@link #acquire} loads, closing the last lease
 * closes the sessions. Thread-safe. Scope as for {@link SharedOrt}: JVM-wide when the classes sit
 * in Flink's {@code lib/}, per job classloader when shipped in the job jar.
 */
public final class SharedElmo {
  private static final Map<Key, Entry> LOADED = new HashMap<>();

  private SharedElmo() {}

  /** A biLM and the heads that run on its activations. */
  public record Stack(ElmoModel elmo, ElmoHeads heads) {}

  /**
   * Returns a lease on the stack, loading (and, for an HDF5 pair, converting) it on first use.
   *
   * @throws ElmoFormatException when the ELMo files are missing or malformed
   * @throws ModelPackageException when the heads package is invalid or does not fit the biLM
   */
  public static SharedOrt.Lease<Stack> acquire(
      ElmoSource source, boolean stateful, Path headsDir, int intraOpThreads) {
    return acquire(source, stateful, headsDir, SentimentHead.SST2, intraOpThreads);
  }

  /**
   * As {@link #acquire(ElmoSource, boolean, Path, int)}, with the heads serving {@code
   * sentimentHead}.
   *
   * @throws ModelPackageException also when the heads package lacks that sentiment head
   */
  public static SharedOrt.Lease<Stack> acquire(
      ElmoSource source,
      boolean stateful,
      Path headsDir,
      SentimentHead sentimentHead,
      int intraOpThreads) {
    Key key = new Key(source, stateful, canonical(headsDir), sentimentHead, intraOpThreads);
    synchronized (LOADED) {
      Entry entry = LOADED.get(key);
      if (entry == null) {
        entry = new Entry(load(key));
        LOADED.put(key, entry);
      }
      entry.references++;
      Entry leased = entry;
      return new SharedOrt.Lease<>(entry.stack, () -> release(key, leased));
    }
  }

  /** Open leases on a stack (0 when not loaded); for diagnostics and tests. */
  public static int references(
      ElmoSource source, boolean stateful, Path headsDir, int intraOpThreads) {
    synchronized (LOADED) {
      Entry e =
          LOADED.get(
              new Key(source, stateful, canonical(headsDir), SentimentHead.SST2, intraOpThreads));
      return e == null ? 0 : e.references;
    }
  }

  private static Stack load(Key key) {
    ElmoModel elmo;
    try {
      elmo = key.source.open(key.stateful, key.intraOpThreads);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read ELMo model " + key.source + ": " + e, e);
    }
    try {
      ElmoHeads heads = ElmoHeads.load(key.heads, key.intraOpThreads, key.sentimentHead);
      try {
        heads.requireCompatible(elmo.layers(), elmo.dim(), key.source.name());
      } catch (RuntimeException e) {
        heads.close();
        throw e;
      }
      return new Stack(elmo, heads);
    } catch (RuntimeException e) {
      elmo.close();
      throw e;
    } catch (Exception e) {
      elmo.close();
      throw new ModelPackageException("cannot load ELMo heads " + key.heads + ": " + e, e);
    }
  }

  private static void release(Key key, Entry entry) {
    synchronized (LOADED) {
      if (--entry.references > 0) {
        return;
      }
      LOADED.remove(key);
    }
    try {
      entry.stack.heads().close();
    } catch (Exception e) {
      throw new IllegalStateException("closing ELMo heads " + key.heads + " failed", e);
    } finally {
      entry.stack.elmo().close();
    }
  }

  private static Path canonical(Path dir) {
    try {
      return dir.toRealPath();
    } catch (IOException e) {
      throw new ModelPackageException(
          "ELMo heads folder " + dir + " does not exist or cannot be read: " + e, e);
    }
  }

  private record Key(
      ElmoSource source,
      boolean stateful,
      Path heads,
      SentimentHead sentimentHead,
      int intraOpThreads) {}

  private static final class Entry {
    final Stack stack;
    int references;

    Entry(Stack stack) {
      this.stack = stack;
    }
  }
}
