package dev.rillet.elmo.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rillet.testutils.ElmoFixture;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Numerical parity with bilm-tf on the AllenNLP fixture (RILLET_DATA/elmo-fixture): the converted
 * ONNX graph run through ONNX Runtime must reproduce the reference top layer within 1e-5.
 */
class ElmoParityTest {
  private static final double TOLERANCE = 1e-5;

  @Test
  void statelessReproducesFirstSentenceOfEachListInOneBatch() throws Exception {
    ElmoFixture fixture = ElmoFixture.require();
    List<List<List<String>>> lists = fixture.sentences();
    try (ElmoModel model =
        ElmoModel.builder().convert(fixture.options(), fixture.weights()).build()) {

      List<List<String>> batch =
          List.of(lists.get(0).get(0), lists.get(1).get(0), lists.get(2).get(0));
      List<ElmoLayers> out = model.embed(batch);
      double max = 0;
      for (int k = 0; k < 3; k++) {
        max = Math.max(max, ElmoFixture.maxDiffTopLayer(out.get(k), fixture.reference(k, 0)));
      }
      System.out.printf("ELMo fixture stateless, 3 first sentences: max |diff| = %.3g%n", max);
      assertThat(max).isLessThan(TOLERANCE);
    }
  }

  @Test
  void statefulReproducesAllThirtySentencesWithStatePerList() throws Exception {
    ElmoFixture fixture = ElmoFixture.require();
    List<List<List<String>>> lists = fixture.sentences();
    try (ElmoModel model =
        ElmoModel.builder().convert(fixture.options(), fixture.weights()).stateful(true).build()) {

      List<ElmoState> states = List.of(model.newState(), model.newState(), model.newState());
      double max = 0;
      for (int i = 0; i < 10; i++) {
        List<List<String>> batch = new ArrayList<>();
        for (int k = 0; k < 3; k++) {
          batch.add(lists.get(k).get(i));
        }
        List<ElmoLayers> out = model.embed(batch, states);
        for (int k = 0; k < 3; k++) {
          double d = ElmoFixture.maxDiffTopLayer(out.get(k), fixture.reference(k, i));
          assertThat(d).as("list %d sentence %d", k, i).isLessThan(TOLERANCE);
          max = Math.max(max, d);
        }
      }
      System.out.printf("ELMo fixture stateful, all 30 sentences: max |diff| = %.3g%n", max);
    }
    // The test can tell: from zero state, a later sentence is far from its reference.
    try (ElmoModel stateless =
        ElmoModel.builder().convert(fixture.options(), fixture.weights()).build()) {

      ElmoLayers fresh = stateless.embed(List.of(lists.get(0).get(1))).get(0);
      assertThat(ElmoFixture.maxDiffTopLayer(fresh, fixture.reference(0, 1))).isGreaterThan(1e-3);
    }
  }

  @Test
  void aShortSentenceIsTheSameAloneAndPaddedInABatch() throws Exception {
    ElmoFixture fixture = ElmoFixture.require();
    List<List<List<String>>> lists = fixture.sentences();
    List<String> shortOne = lists.get(1).get(9);
    try (ElmoModel model =
        ElmoModel.builder().convert(fixture.options(), fixture.weights()).build()) {

      ElmoLayers alone = model.embed(List.of(shortOne)).get(0);
      ElmoLayers padded =
          model.embed(List.of(lists.get(0).get(0), shortOne, lists.get(2).get(0))).get(1);
      double max = 0;
      for (int i = 0; i < alone.data().length; i++) {
        max = Math.max(max, Math.abs(alone.data()[i] - padded.data()[i]));
      }
      System.out.printf(
          "ELMo fixture, alone vs padded batch (all layers): max |diff| = %.3g%n", max);
      assertThat(padded.tokens()).isEqualTo(shortOne.size());
      assertThat(max).isLessThan(1e-6);
    }
  }
}
