package dev.rillet.testutils;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.rillet.elmo.conversion.ElmoOptions;
import dev.rillet.elmo.conversion.ElmoWeights;
import dev.rillet.elmo.runtime.ElmoSource;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.stream.Stream;

/**
 * A small ELMo with random weights, written as an AllenNLP options.json + weights.hdf5 folder, for
 * tests that need a biLM but not the fixture's data. Its shape is the fixture's (2 layers,
 * projection 16, so 3 layers of 32 floats), which is what models/test-elmo-heads expects.
 */
public final class TestElmo {
  private static final String OPTIONS =
      "{\"lstm\": {\"cell_clip\": 3, \"use_skip_connections\": true, \"n_layers\": 2,"
          + " \"proj_clip\": 3, \"projection_dim\": 16, \"dim\": 64},"
          + " \"char_cnn\": {\"embedding\": {\"dim\": 4}, \"filters\": [[1, 4], [2, 8], [3, 16]],"
          + " \"n_highway\": 1, \"n_characters\": 262, \"max_characters_per_token\": 50,"
          + " \"activation\": \"relu\"}}";

  private TestElmo() {}

  /**
   * Copies the heads package {@code heads} to {@code out} with its manifest naming the biLM in
   * {@code elmoDir} (written by {@link #write}) as the one it was trained on, so the loader's biLM
   * check accepts the pair. For tests where any biLM of the right shape will do.
   */
  public static Path headsFor(Path elmoDir, Path heads, Path out) throws IOException {
    Files.createDirectories(out);
    try (Stream<Path> files = Files.list(heads)) {
      for (Path f : (Iterable<Path>) files::iterator) {
        Files.copy(f, out.resolve(f.getFileName()), StandardCopyOption.REPLACE_EXISTING);
      }
    }
    ObjectMapper json = new ObjectMapper();
    ObjectNode manifest = (ObjectNode) json.readTree(out.resolve("manifest.json").toFile());
    String sha =
        ElmoSource.pair(elmoDir.resolve("options.json"), elmoDir.resolve("weights.hdf5"))
            .weightsSha256()
            .orElseThrow();
    manifest
        .putObject("bilm")
        .put("id", elmoDir.getFileName().toString())
        .put("weightsSha256", sha);
    json.writeValue(out.resolve("manifest.json").toFile(), manifest);
    return out;
  }

  /** Writes the folder (deterministic for a seed) and returns it. */
  public static Path write(Path dir, long seed) throws IOException {
    Files.createDirectories(dir);
    Files.writeString(dir.resolve("options.json"), OPTIONS);
    ElmoOptions options = ElmoOptions.parse(OPTIONS, "test options");
    ElmoWeights.random(options, seed).write(dir.resolve("weights.hdf5"));
    return dir;
  }
}
