package dev.rillet.elmo.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rillet.testutils.ElmoFixture;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The token-vector cache on the AllenNLP fixture (RILLET_DATA/elmo-fixture): with the cache on, all
 * 30 sentences equal the uncached model's outputs within 1e-6 and bilm-tf's within 1e-5.
 */
class ElmoTokenCacheParityTest {
  /**
   * The fixture's biLM, converted with a token cache of {@code cacheSize} (0: the single graph).
   */
  private static ElmoModel converted(ElmoFixture fixture, boolean stateful, int cacheSize)
      throws IOException {
    return ElmoModel.builder()
        .convert(fixture.options(), fixture.weights())
        .stateful(stateful)
        .tokenCacheSize(cacheSize)
        .build();
  }

  @Test
  void statelessAllThirtySentencesEqualTheUncachedModel() throws Exception {
    ElmoFixture fixture = ElmoFixture.require();
    List<List<List<String>>> lists = fixture.sentences();
    try (ElmoModel plain = converted(fixture, false, 0);
        ElmoModel cached = converted(fixture, false, ElmoModel.DEFAULT_TOKEN_CACHE_SIZE)) {
      double max = 0;
      for (int i = 0; i < 10; i++) {
        List<List<String>> batch = new ArrayList<>();
        for (int k = 0; k < 3; k++) {
          batch.add(lists.get(k).get(i));
        }
        max = Math.max(max, ElmoTokenCacheTest.maxDiff(cached.embed(batch), plain.embed(batch)));
      }
      // Parity with bilm-tf still holds for the first sentences (zero state) with the cache warm.
      List<List<String>> firsts =
          List.of(lists.get(0).get(0), lists.get(1).get(0), lists.get(2).get(0));
      List<ElmoLayers> out = cached.embed(firsts);
      double reference = 0;
      for (int k = 0; k < 3; k++) {
        reference =
            Math.max(reference, ElmoFixture.maxDiffTopLayer(out.get(k), fixture.reference(k, 0)));
      }
      ElmoModel.TokenCacheStats stats = cached.tokenCacheStats();
      System.out.printf(
          "ELMo fixture stateless, cache on vs off, 30 sentences: max |diff| = %.3g (all layers);"
              + " vs bilm-tf %.3g; hit rate %.1f%%%n",
          max, reference, 100 * stats.hitRate());
      assertThat(max).isLessThan(1e-6);
      assertThat(reference).isLessThan(1e-5);
      assertThat(stats.hits()).isPositive();
    }
  }

  @Test
  void statefulAllThirtySentencesEqualTheUncachedModelAndBilmTf() throws Exception {
    ElmoFixture fixture = ElmoFixture.require();
    List<List<List<String>>> lists = fixture.sentences();
    try (ElmoModel plain = converted(fixture, true, 0);
        ElmoModel cached = converted(fixture, true, ElmoModel.DEFAULT_TOKEN_CACHE_SIZE)) {
      List<ElmoState> plainStates = List.of(plain.newState(), plain.newState(), plain.newState());
      List<ElmoState> cachedStates =
          List.of(cached.newState(), cached.newState(), cached.newState());
      double max = 0;
      double reference = 0;
      for (int i = 0; i < 10; i++) {
        List<List<String>> batch = new ArrayList<>();
        for (int k = 0; k < 3; k++) {
          batch.add(lists.get(k).get(i));
        }
        List<ElmoLayers> out = cached.embed(batch, cachedStates);
        max = Math.max(max, ElmoTokenCacheTest.maxDiff(out, plain.embed(batch, plainStates)));
        for (int k = 0; k < 3; k++) {
          double d = ElmoFixture.maxDiffTopLayer(out.get(k), fixture.reference(k, i));
          assertThat(d).as("list %d sentence %d", k, i).isLessThan(1e-5);
          reference = Math.max(reference, d);
        }
      }
      System.out.printf(
          "ELMo fixture stateful, cache on vs off, 30 sentences: max |diff| = %.3g (all layers);"
              + " vs bilm-tf %.3g; hit rate %.1f%%%n",
          max, reference, 100 * cached.tokenCacheStats().hitRate());
      assertThat(max).isLessThan(1e-6);
      assertThat(cached.tokenCacheStats().hits()).isPositive();
    }
  }
}
