package dev.rillet.elmo.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.FloatBuffer;
import org.junit.jupiter.api.Test;

class TokenVectorCacheTest {
  private static FloatBuffer vector(float first, float second) {
    return FloatBuffer.wrap(new float[] {first, second});
  }

  private static float[] get(TokenVectorCache cache, String token) {
    FloatBuffer out = FloatBuffer.allocate(4);
    if (!cache.copyTo(token, out, 1)) {
      return null;
    }
    return new float[] {out.get(1), out.get(2)};
  }

  @Test
  void keepsAtMostCapacityEntriesAndEvictsTheLeastRecentlyUsed() {
    TokenVectorCache cache = new TokenVectorCache(3, 2);
    cache.put("a", vector(1, 2), 0);
    cache.put("b", vector(3, 4), 0);
    cache.put("c", vector(5, 6), 0);
    assertThat(get(cache, "a")).containsExactly(1, 2); // a is now the most recently used
    cache.put("d", vector(7, 8), 0); // evicts b
    assertThat(cache.size()).isEqualTo(3);
    assertThat(get(cache, "b")).isNull();
    assertThat(get(cache, "a")).containsExactly(1, 2);
    assertThat(get(cache, "c")).containsExactly(5, 6);
    assertThat(get(cache, "d")).containsExactly(7, 8); // written into b's old slot
    for (int i = 0; i < 100; i++) {
      cache.put("t" + i, vector(i, -i), 0);
      assertThat(cache.size()).isLessThanOrEqualTo(3);
    }
    assertThat(get(cache, "t99")).containsExactly(99, -99);
    assertThat(get(cache, "t97")).containsExactly(97, -97);
    assertThat(get(cache, "t96")).isNull();
  }

  @Test
  void readsTheVectorAtTheGivenOffsetAndReplacesOnRePut() {
    TokenVectorCache cache = new TokenVectorCache(2, 2);
    cache.put("x", FloatBuffer.wrap(new float[] {9, 9, 1, 2, 9}), 2);
    assertThat(get(cache, "x")).containsExactly(1, 2);
    cache.put("x", vector(3, 4), 0);
    assertThat(cache.size()).isEqualTo(1);
    assertThat(get(cache, "x")).containsExactly(3, 4);
  }

  @Test
  void capacityZeroCachesNothing() {
    TokenVectorCache cache = new TokenVectorCache(0, 2);
    cache.put("a", vector(1, 2), 0);
    assertThat(cache.size()).isZero();
    assertThat(get(cache, "a")).isNull();
  }
}
