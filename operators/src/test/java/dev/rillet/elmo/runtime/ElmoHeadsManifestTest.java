package dev.rillet.elmo.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.rillet.onnx.ModelPackageException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The heads manifest on its own, without a graph: the fields, their defaults, the messages. */
class ElmoHeadsManifestTest {
  @TempDir Path dir;

  private ElmoHeadsManifest read(String json) throws IOException {
    Files.writeString(dir.resolve("manifest.json"), json);
    return ElmoHeadsManifest.read(dir);
  }

  @Test
  void readsTheFieldsWithTheOptionalOnesAbsent() throws IOException {
    ElmoHeadsManifest m =
        read(
            "{\"id\": \"h\", \"version\": \"1\", \"kind\": \"elmo-heads\", \"file\": \"h.onnx\","
                + " \"layers\": 2, \"dim\": 4, \"tagLabels\": [\"A\", \"B\"],"
                + " \"sentimentLabels\": [],"
                + " \"tagScalarMix\": {\"weights\": [0, 0], \"gamma\": 2}}");
    assertThat(m.id).isEqualTo("h@1");
    assertThat(m.file).isEqualTo("h.onnx");
    assertThat(m.tagLabels).containsExactly("A", "B");
    assertThat(m.sentiment2Labels).isEmpty();
    assertThat(m.sentiment5Labels).isEmpty();
    assertThat(m.tagScalarMix).containsExactly(1f, 1f);
    assertThat(m.bilmId).isEqualTo("unnamed");
    assertThat(m.bilmSha256).isNull();
    assertThat(m.vocabulary).isNull();
  }

  @Test
  void aBadFieldIsNamedWithTheFileAndTheFix() {
    assertThatThrownBy(
            () ->
                read(
                    "{\"id\": \"h\", \"version\": \"1\", \"kind\": \"recurrent\", \"file\":"
                        + " \"h.onnx\"}"))
        .isInstanceOf(ModelPackageException.class)
        .hasMessageContaining(dir.resolve("manifest.json").toString())
        .hasMessageContaining("field 'kind' is \"recurrent\"")
        .hasMessageContaining("\"elmo-heads\" packages");
    assertThatThrownBy(
            () ->
                read(
                    "{\"id\": \"h\", \"version\": \"1\", \"kind\": \"elmo-heads\", \"file\":"
                        + " \"h.onnx\", \"layers\": 2, \"dim\": 4, \"tagLabels\": [\"A\"],"
                        + " \"sentimentLabels\": [], \"tagScalarMix\": {\"weights\": [1],"
                        + " \"gamma\": 1}}"))
        .isInstanceOf(ModelPackageException.class)
        .hasMessageContaining("field 'tagScalarMix.weights'")
        .hasMessageContaining("array of 2 numbers");
  }
}
