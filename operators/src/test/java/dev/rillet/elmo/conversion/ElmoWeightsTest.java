package dev.rillet.elmo.conversion;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.rillet.testutils.ElmoFixture;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ElmoWeightsTest {
  @TempDir Path tmp;

  private static ElmoOptions small() {
    return ElmoOptions.parse(ElmoOptionsTest.SMALL, "options.json");
  }

  @Test
  void writtenWeightsReadBackIdentically() {
    ElmoOptions options = small();
    ElmoWeights weights = ElmoWeights.random(options, 7);
    Path file = tmp.resolve("weights.hdf5");
    weights.write(file);
    ElmoWeights read = ElmoWeights.read(file, options);
    for (String name : ElmoWeights.expectedShapes(options).keySet()) {
      assertThat(read.get(name).shape()).as(name).isEqualTo(weights.get(name).shape());
      assertThat(read.get(name).data()).as(name).isEqualTo(weights.get(name).data());
    }
    assertThat(read.parameterCount()).isEqualTo(weights.parameterCount()).isPositive();
  }

  @Test
  void fixtureWeightsMatchTheFixtureOptions() throws Exception {
    ElmoFixture fixture = ElmoFixture.require();
    ElmoOptions options = ElmoOptions.read(fixture.options());
    ElmoWeights weights = ElmoWeights.read(fixture.weights(), options);
    assertThat(weights.get("char_embed").shape()).containsExactly(261, 4);
    assertThat(weights.get(ElmoWeights.lstmPath(1, 1, "W_P_0")).shape()).containsExactly(64, 16);
  }

  @Test
  void mismatchedShapeNamesDatasetAndBothShapes() {
    Path file = tmp.resolve("weights.hdf5");
    ElmoWeights.random(small(), 1).write(file);
    ElmoOptions wider =
        ElmoOptions.parse(ElmoOptionsTest.SMALL.replace("\"dim\": 64", "\"dim\": 32"), "o.json");
    assertThatThrownBy(() -> ElmoWeights.read(file, wider))
        .isInstanceOf(ElmoFormatException.class)
        .hasMessageContaining("'RNN_0/RNN/MultiRNNCell/Cell0/LSTMCell/W_0' has shape [32, 256]")
        .hasMessageContaining("the options need [32, 128]");
  }

  @Test
  void missingDatasetIsNamed() {
    Path file = tmp.resolve("weights.hdf5");
    ElmoWeights.random(small(), 1).write(file);
    ElmoOptions moreHighways =
        ElmoOptions.parse(
            ElmoOptionsTest.SMALL.replace("\"n_highway\": 2", "\"n_highway\": 3"), "o.json");
    assertThatThrownBy(() -> ElmoWeights.read(file, moreHighways))
        .isInstanceOf(ElmoFormatException.class)
        .hasMessageContaining("missing dataset 'CNN_high_2/W_carry' (expected shape [28, 28])");
  }

  @Test
  void inMemoryTensorsAreCheckedToo() {
    ElmoOptions options = small();
    Map<String, ElmoWeights.Tensor> tensors = new LinkedHashMap<>();
    for (var e : ElmoWeights.expectedShapes(options).entrySet()) {
      int n = 1;
      for (int d : e.getValue()) {
        n *= d;
      }
      tensors.put(e.getKey(), new ElmoWeights.Tensor(e.getValue(), new float[n]));
    }
    tensors.put("char_embed", new ElmoWeights.Tensor(new int[] {262, 4}, new float[262 * 4]));
    assertThatThrownBy(() -> ElmoWeights.of(options, tensors, "mine"))
        .hasMessageContaining("mine: dataset 'char_embed' has shape [262, 4]")
        .hasMessageContaining("[261, 4]");
  }

  @Test
  void notHdf5OrMissingFileFailsClearly() throws Exception {
    Path text = Files.writeString(tmp.resolve("weights.hdf5"), "not hdf5 at all");
    assertThatThrownBy(() -> ElmoWeights.read(text, small()))
        .isInstanceOf(ElmoFormatException.class)
        .hasMessageContaining("weights.hdf5");
    assertThatThrownBy(() -> ElmoWeights.read(tmp.resolve("none.hdf5"), small()))
        .isInstanceOf(ElmoFormatException.class)
        .hasMessageContaining("does not exist");
  }
}
