package dev.rillet.elmo.runtime;

import java.nio.FloatBuffer;
import java.util.Arrays;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A bounded least-recently-used map from a token string to its context-free ELMo vector ({@code
 * dim} floats). The vectors live in one float array (slot-major) that grows by doubling up to
 * {@code capacity * dim}, so an entry costs no array of its own and a hit allocates nothing. An
 * evicted entry's slot is reused by the entry that evicts it.
 *
 * <p>Not thread-safe: {@link ElmoModel} only uses it inside its serialised calls.
 */
final class TokenVectorCache {
  private final int capacity;
  private final int dim;
  // Access order: iteration starts at the least recently used entry.
  private final LinkedHashMap<String, Integer> slots;
  private float[] vectors = new float[0];

  /** A cache of at most {@code capacity} (>= 0; 0 caches nothing) vectors of {@code dim} floats. */
  TokenVectorCache(int capacity, int dim) {
    if (capacity < 0 || dim < 1) {
      throw new IllegalArgumentException("capacity " + capacity + ", dim " + dim);
    }
    this.capacity = capacity;
    this.dim = dim;
    this.slots = new LinkedHashMap<>(16, 0.75f, true);
  }

  int capacity() {
    return capacity;
  }

  int size() {
    return slots.size();
  }

  /**
   * Copies the vector of {@code token} into {@code out} at float index {@code at} and marks it
   * recently used.
   *
   * @return false (and {@code out} untouched) when the token is not cached
   */
  boolean copyTo(String token, FloatBuffer out, int at) {
    Integer slot = slots.get(token);
    if (slot == null) {
      return false;
    }
    out.put(at, vectors, slot * dim, dim);
    return true;
  }

  /**
   * Stores the vector {@code from[at .. at + dim)} for {@code token} (replacing its old vector if
   * cached), evicting the least recently used entry when full.
   */
  void put(String token, FloatBuffer from, int at) {
    if (capacity == 0) {
      return;
    }
    Integer slot = slots.get(token);
    if (slot == null) {
      if (slots.size() < capacity) {
        slot = slots.size();
        ensureSlots(slot + 1);
      } else {
        Iterator<Map.Entry<String, Integer>> eldest = slots.entrySet().iterator();
        slot = eldest.next().getValue();
        eldest.remove();
      }
      slots.put(token, slot);
    }
    from.get(at, vectors, slot * dim, dim);
  }

  private void ensureSlots(int needed) {
    int have = vectors.length / dim;
    if (have < needed) {
      int grown = (int) Math.min(capacity, Math.max(needed, Math.max(64L, 2L * have)));
      vectors = Arrays.copyOf(vectors, Math.multiplyExact(grown, dim));
    }
  }
}
