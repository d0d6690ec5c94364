package dev.rillet.elmo.runtime;

import dev.rillet.onnx.ModelPackageException;
import dev.rillet.onnx.OrtSettings;
import dev.rillet.onnx.SharedCache;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import org.apache.flink.annotation.Internal;

/**
 * Reference-counted cache of loaded ELMo models with their task heads, so that every {@code
 * SentenceElmo} subtask in one TaskManager JVM shares one copy of the weights (the original ELMo is
 * ~374 MB of fp32) and one pair of ONNX sessions. Keyed by (model source, stateful, heads folder,
 * sentiment head, intra-op threads); the first {@link #acquire} loads, closing the last lease
 * closes the sessions. Thread-safe ({@link SharedCache}): JVM-wide when the classes sit in Flink's
 * {@code lib/}, per job classloader when shipped in the job jar.
 */
@Internal
public final class SharedElmo {
  private static final SharedCache<Key, Stack> LOADED =
      new SharedCache<>(SharedElmo::load, SharedElmo::unload);

  private SharedElmo() {}

  /** A biLM and the heads that run on its activations. */
  public record Stack(ElmoModel elmo, ElmoHeads heads) {}

  /**
   * Returns a lease on the stack, loading (and, for an HDF5 pair, converting) it on first use.
   *
   * @throws ElmoFormatException when the ELMo files are missing or malformed
   * @throws ModelPackageException when the heads package is invalid or does not fit the biLM
   */
  public static SharedCache.Lease<Stack> acquire(
      ElmoSource source, boolean stateful, Path headsDir, int intraOpThreads) {
    return acquire(source, stateful, headsDir, SentimentHead.SST2, OrtSettings.of(intraOpThreads));
  }

  /**
   * As {@link #acquire(ElmoSource, boolean, Path, int)}, with the heads serving {@code
   * sentimentHead} and sessions made with {@code settings}.
   *
   * @throws ModelPackageException also when the heads package lacks that sentiment head
   */
  public static SharedCache.Lease<Stack> acquire(
      ElmoSource source,
      boolean stateful,
      Path headsDir,
      SentimentHead sentimentHead,
      OrtSettings settings) {
    return LOADED.acquire(new Key(source, stateful, canonical(headsDir), sentimentHead, settings));
  }

  /** Open leases on a stack (0 when not loaded); for diagnostics and tests. */
  public static int references(
      ElmoSource source, boolean stateful, Path headsDir, int intraOpThreads) {
    return LOADED.references(
        new Key(
            source,
            stateful,
            canonical(headsDir),
            SentimentHead.SST2,
            OrtSettings.of(intraOpThreads)));
  }

  private static Stack load(Key key) {
    ElmoModel elmo;
    try {
      elmo = key.source.open(key.stateful, key.settings);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read ELMo model " + key.source + ": " + e, e);
    }
    try {
      ElmoHeads heads = ElmoHeads.load(key.heads, key.settings, key.sentimentHead);
      try {
        heads.requireCompatible(
            elmo.layers(), elmo.dim(), key.source.name(), key.source.weightsSha256());
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

  private static void unload(Stack stack) {
    try {
      stack.heads().close();
    } catch (Exception e) {
      throw new IllegalStateException("closing ELMo heads failed", e);
    } finally {
      stack.elmo().close();
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
      OrtSettings settings) {}
}
