package dev.rillet.elmo.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.rillet.onnx.ModelPackageException;
import dev.rillet.onnx.OrtSettings;
import dev.rillet.testutils.ElmoFixture;
import dev.rillet.testutils.TestElmo;
import dev.rillet.testutils.TestModels;
import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Heads record the biLM they were trained on (manifest {@code bilm.weightsSha256}); loading them on
 * another biLM of the same shape fails at load time instead of giving wrong answers.
 */
class ElmoHeadsBilmCheckTest {
  private static final Path HEADS = TestModels.get("test-elmo-heads");

  @TempDir Path tmp;

  @Test
  void theWeightsDigestIsTheOneTheTrainingRecipeRecorded() throws Exception {
    ElmoFixture fixture = ElmoFixture.require();
    String recorded =
        new ObjectMapper()
            .readTree(HEADS.resolve("manifest.json").toFile())
            .path("bilm")
            .path("weightsSha256")
            .asText();
    assertThat(ElmoSource.pair(fixture.options(), fixture.weights()).weightsSha256())
        .contains(recorded);
    assertThat(ElmoSource.onnx(tmp.resolve("elmo.onnx")).weightsSha256()).isEmpty();
  }

  @Test
  void headsOnAnotherBilmOfTheSameShapeAreRefusedNamingBothDigestsAndTheFix() throws Exception {
    Path elmo = TestElmo.write(tmp.resolve("random-elmo"), 3);
    ElmoSource source = ElmoSource.resolve(elmo);
    String sha = source.weightsSha256().orElseThrow();

    assertThatThrownBy(
            () -> SharedElmo.acquire(source, false, HEADS, SentimentHead.SST2, OrtSettings.of(1)))
        .isInstanceOf(ModelPackageException.class)
        .hasMessageContaining("trained on the biLM elmo-fixture (weights sha256 dfdfd300")
        .hasMessageContaining("random-elmo/weights.hdf5 has weights sha256 " + sha)
        .hasMessageContaining("training/train_elmo_heads.py --bilm");
    assertThat(SharedElmo.references(source, false, HEADS, 1)).isZero();

    Path matching = TestElmo.headsFor(elmo, HEADS, tmp.resolve("heads"));
    try (var lease =
        SharedElmo.acquire(source, false, matching, SentimentHead.SST2, OrtSettings.of(1))) {
      assertThat(lease.get().heads().tagLabels()).hasSize(17);
    }
  }

  @Test
  void aBilmOfUnknownDigestSkipsOnlyThatCheck() throws Exception {
    try (ElmoHeads heads = ElmoHeads.load(HEADS, 1)) {
      // An ONNX biLM: its digest is not the weights file's, so only the shape is checked.
      heads.requireCompatible(3, 32, "elmo.onnx", Optional.empty());
      assertThatThrownBy(() -> heads.requireCompatible(3, 16, "elmo.onnx", Optional.empty()))
          .hasMessageContaining("layers of width 32");
    }
  }
}
