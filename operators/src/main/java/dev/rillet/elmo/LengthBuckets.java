package dev.rillet.elmo;

import java.util.ArrayList;
import java.util.List;
import java.util.function.IntUnaryOperator;
import org.apache.flink.annotation.Internal;

/**
 * Splits a set of sentences into batches of similar length, so that padding wastes little work.
 *
 * <p>Buckets are powers of two: lengths 1–8 share the first bucket, then 9–16, 17–32, 33–64 and so
 * on. Within a bucket sentences keep their given order and are cut into batches of at most {@code
 * maxBatchSize} sentences whose padded size (sentences × longest sentence) stays within {@code
 * maxBatchTokens}; a sentence longer than that runs alone. Batches come out bucket by bucket, short
 * buckets first. Plans depend only on the lengths, so they are deterministic.
 */
@Internal
public final class LengthBuckets {
  private final int maxBatchSize;
  private final int maxBatchTokens;

  public LengthBuckets(int maxBatchSize, int maxBatchTokens) {
    if (maxBatchSize < 1 || maxBatchTokens < 1) {
      throw new IllegalArgumentException(
          "maxBatchSize and maxBatchTokens must be >= 1, got "
              + maxBatchSize
              + ", "
              + maxBatchTokens);
    }
    this.maxBatchSize = maxBatchSize;
    this.maxBatchTokens = maxBatchTokens;
  }

  /** Bucket of a sentence length (>= 1): 0 for 1–8, 1 for 9–16, 2 for 17–32, ... */
  static int bucket(int length) {
    if (length <= 8) {
      return 0;
    }
    return 32 - Integer.numberOfLeadingZeros(length - 1) - 3;
  }

  /**
   * Plans the batches for {@code count} sentences whose lengths {@code length.applyAsInt(i)} gives.
   * Every index in {@code [0, count)} appears in exactly one batch.
   */
  public List<int[]> plan(int count, IntUnaryOperator length) {
    List<List<Integer>> buckets = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      int b = bucket(length.applyAsInt(i));
      while (buckets.size() <= b) {
        buckets.add(new ArrayList<>());
      }
      buckets.get(b).add(i);
    }
    List<int[]> batches = new ArrayList<>();
    int[] current = new int[maxBatchSize];
    for (List<Integer> bucket : buckets) {
      int n = 0;
      int longest = 0;
      for (int i : bucket) {
        int len = length.applyAsInt(i);
        int wouldBe = Math.max(longest, len);
        if (n > 0 && (n == maxBatchSize || (long) (n + 1) * wouldBe > maxBatchTokens)) {
          batches.add(java.util.Arrays.copyOf(current, n));
          n = 0;
          wouldBe = len;
        }
        current[n++] = i;
        longest = wouldBe;
      }
      if (n > 0) {
        batches.add(java.util.Arrays.copyOf(current, n));
      }
    }
    return batches;
  }
}
