package dev.rillet.elmo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class LengthBucketsTest {

  @Test
  void bucketsArePowersOfTwoAboveEight() {
    assertThat(LengthBuckets.bucket(1)).isZero();
    assertThat(LengthBuckets.bucket(8)).isZero();
    assertThat(LengthBuckets.bucket(9)).isEqualTo(1);
    assertThat(LengthBuckets.bucket(16)).isEqualTo(1);
    assertThat(LengthBuckets.bucket(17)).isEqualTo(2);
    assertThat(LengthBuckets.bucket(32)).isEqualTo(2);
    assertThat(LengthBuckets.bucket(33)).isEqualTo(3);
    assertThat(LengthBuckets.bucket(100)).isEqualTo(4);
  }

  @Test
  void groupsSimilarLengthsAndKeepsOrderWithinABucket() {
    int[] lengths = {3, 20, 5, 30, 7, 2};
    List<int[]> plan = new LengthBuckets(8, 1000).plan(lengths.length, i -> lengths[i]);
    assertThat(plan).extracting(Arrays::toString).containsExactly("[0, 2, 4, 5]", "[1, 3]");
  }

  @Test
  void respectsTheBatchSizeAndThePaddedTokenCap() {
    int[] lengths = {8, 8, 8, 8, 8};
    assertThat(new LengthBuckets(2, 1000).plan(5, i -> lengths[i]))
        .extracting(Arrays::toString)
        .containsExactly("[0, 1]", "[2, 3]", "[4]");
    // 3 x 8 = 24 > 20: at most two sentences of length 8 per batch.
    assertThat(new LengthBuckets(10, 20).plan(5, i -> lengths[i]))
        .extracting(Arrays::toString)
        .containsExactly("[0, 1]", "[2, 3]", "[4]");
  }

  @Test
  void aSentenceLongerThanTheCapRunsAlone() {
    int[] lengths = {40, 50, 3};
    assertThat(new LengthBuckets(10, 45).plan(3, i -> lengths[i]))
        .extracting(Arrays::toString)
        .containsExactly("[2]", "[0]", "[1]");
  }

  @Test
  void everySentenceIsPlannedExactlyOnceAndNoBatchBreaksALimit() {
    Random random = new Random(7);
    int[] lengths = random.ints(500, 1, 120).toArray();
    List<int[]> plan = new LengthBuckets(16, 512).plan(lengths.length, i -> lengths[i]);
    List<Integer> seen = new ArrayList<>();
    for (int[] batch : plan) {
      assertThat(batch.length).isBetween(1, 16);
      int longest = Arrays.stream(batch).map(i -> lengths[i]).max().orElseThrow();
      if (batch.length > 1) {
        assertThat(batch.length * longest).isLessThanOrEqualTo(512);
      }
      int bucket = LengthBuckets.bucket(lengths[batch[0]]);
      assertThat(Arrays.stream(batch).map(i -> LengthBuckets.bucket(lengths[i])))
          .containsOnly(bucket);
      Arrays.stream(batch).forEach(seen::add);
    }
    assertThat(seen).hasSize(500).doesNotHaveDuplicates();
  }

  @Test
  void rejectsNonPositiveLimits() {
    assertThatThrownBy(() -> new LengthBuckets(0, 10))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("maxBatchSize");
  }
}
