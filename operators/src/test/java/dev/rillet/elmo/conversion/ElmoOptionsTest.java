package dev.rillet.elmo.conversion;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class ElmoOptionsTest {
  static final String SMALL =
      """
      {"lstm": {"cell_clip": 3, "use_skip_connections": true, "n_layers": 2, "proj_clip": 3,
                "projection_dim": 16, "dim": 64},
       "char_cnn": {"embedding": {"dim": 4}, "filters": [[1, 4], [2, 8], [3, 16]],
                    "n_highway": 2, "n_characters": 262, "max_characters_per_token": 50,
                    "activation": "relu"}}
      """;

  private static ElmoOptions parse(String json) {
    return ElmoOptions.parse(json, "options.json");
  }

  @Test
  void readsEveryField() {
    ElmoOptions o = parse(SMALL);
    assertThat(o.charDim()).isEqualTo(4);
    assertThat(o.filters()).isDeepEqualTo(new int[][] {{1, 4}, {2, 8}, {3, 16}});
    assertThat(o.totalFilters()).isEqualTo(28);
    assertThat(o.nHighway()).isEqualTo(2);
    assertThat(o.activation()).isEqualTo(ElmoOptions.Activation.RELU);
    assertThat(o.lstmDim()).isEqualTo(64);
    assertThat(o.projectionDim()).isEqualTo(16);
    assertThat(o.nLayers()).isEqualTo(2);
    assertThat(o.cellClip()).hasValue(3.0);
    assertThat(o.projClip()).hasValue(3.0);
    assertThat(o.skipConnections()).isTrue();
    assertThat(o.lstmProjects()).isTrue();
    assertThat(o.tokenProjects()).isTrue();
  }

  @Test
  void optionalFieldsTakeBilmTfDefaults() {
    ElmoOptions o =
        parse(
            """
            {"lstm": {"n_layers": 1, "projection_dim": 8, "dim": 8},
             "char_cnn": {"embedding": {"dim": 2}, "filters": [[1, 8]], "n_characters": 261}}
            """);
    assertThat(o.cellClip()).isEmpty();
    assertThat(o.projClip()).isEmpty();
    assertThat(o.skipConnections()).isFalse();
    assertThat(o.nHighway()).isZero();
    assertThat(o.maxCharactersPerToken()).isEqualTo(50);
    assertThat(o.activation()).isEqualTo(ElmoOptions.Activation.RELU);
    assertThat(o.lstmProjects()).isFalse();
    assertThat(o.tokenProjects()).isFalse();
  }

  @Test
  void badValuesNameTheFieldAndTheFix() {
    assertThatThrownBy(() -> parse(SMALL.replace("\"n_layers\": 2", "\"n_layers\": 0")))
        .isInstanceOf(ElmoFormatException.class)
        .hasMessageContaining("options.json")
        .hasMessageContaining("lstm.n_layers must be >= 1, got 0");
    assertThatThrownBy(() -> parse(SMALL.replace("\"relu\"", "\"gelu\"")))
        .hasMessageContaining("char_cnn.activation is 'gelu'")
        .hasMessageContaining("\"relu\" or \"tanh\"");
    assertThatThrownBy(() -> parse(SMALL.replace("262", "300")))
        .hasMessageContaining("char_cnn.n_characters is 300")
        .hasMessageContaining("use 262");
    assertThatThrownBy(() -> parse(SMALL.replace("\"dim\": 64", "\"width\": 64")))
        .hasMessageContaining("missing lstm.dim");
    assertThatThrownBy(() -> parse(SMALL.replace("[2, 8]", "[2]")))
        .hasMessageContaining("char_cnn.filters[1] is [2]");
    assertThatThrownBy(() -> parse(SMALL.replace("[3, 16]", "[60, 16]")))
        .hasMessageContaining("char_cnn.filters[2] has width 60");
    assertThatThrownBy(() -> parse(SMALL.replace("\"cell_clip\": 3", "\"cell_clip\": -1")))
        .hasMessageContaining("lstm.cell_clip is -1.0");
    assertThatThrownBy(() -> parse(SMALL.replace("\"dim\": 4}", "\"dim\": \"four\"}")))
        .hasMessageContaining("char_cnn.embedding.dim is \"four\"; it must be an integer");
    assertThatThrownBy(
            () -> parse(SMALL.replace("\"projection_dim\": 16", "\"projection_dim\": 128")))
        .hasMessageContaining("lstm.projection_dim must be <= lstm.dim");
    assertThatThrownBy(
            () ->
                parse(
                    SMALL.replace(
                        "\"max_characters_per_token\": 50", "\"max_characters_per_token\": 2")))
        .hasMessageContaining("char_cnn.max_characters_per_token must be >= 3");
    assertThatThrownBy(() -> parse("{\"lstm\": "))
        .isInstanceOf(ElmoFormatException.class)
        .hasMessageContaining("not valid JSON");
  }
}
