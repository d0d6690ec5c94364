package dev.rillet.testutils;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.rillet.elmo.runtime.ElmoLayers;
import io.jhdf.HdfFile;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The AllenNLP ELMo test fixture in RILLET_DATA/elmo-fixture and its reference outputs (also used
 * by the jobs module's tests, through the operators test-jar).
 */
public final class ElmoFixture {
  public final Path dir;

  private ElmoFixture(Path dir) {
    this.dir = dir;
  }

  /** The fixture; skips the calling test when RILLET_DATA is not set. */
  public static ElmoFixture require() {
    return new ElmoFixture(TestData.require().resolve("elmo-fixture"));
  }

  public Path options() {
    return dir.resolve("options.json");
  }

  public Path weights() {
    return dir.resolve("lm_weights.hdf5");
  }

  /** The three lists of ten whitespace-tokenised sentences. */
  public List<List<List<String>>> sentences() throws IOException {
    JsonNode root = new ObjectMapper().readTree(dir.resolve("sentences.json").toFile());
    List<List<List<String>>> lists = new ArrayList<>();
    for (JsonNode list : root) {
      List<List<String>> sentences = new ArrayList<>();
      for (JsonNode s : list) {
        sentences.add(Arrays.asList(s.asText().trim().split("\\s+")));
      }
      lists.add(sentences);
    }
    return lists;
  }

  /** Reference top layer of sentence i of list k: [tokens][2P] = [forward, backward]. */
  public float[][] reference(int list, int sentence) {
    try (HdfFile hdf = new HdfFile(dir.resolve("lm_embeddings_" + list + ".hdf5"))) {
      float[][][] data = (float[][][]) hdf.getDatasetByPath(String.valueOf(sentence)).getData();
      int n = data[0].length;
      int p = data[0][0].length;
      float[][] out = new float[n][2 * p];
      for (int t = 0; t < n; t++) {
        System.arraycopy(data[0][t], 0, out[t], 0, p);
        System.arraycopy(data[1][t], 0, out[t], p, p);
      }
      return out;
    }
  }

  /** Max |actual - expected| over the top layer of a result. */
  public static double maxDiffTopLayer(ElmoLayers actual, float[][] expected) {
    if (actual.tokens() != expected.length || actual.dim() != expected[0].length) {
      throw new AssertionError(
          "shape "
              + actual.tokens()
              + "x"
              + actual.dim()
              + " vs reference "
              + expected.length
              + "x"
              + expected[0].length);
    }
    int top = actual.layers() - 1;
    double max = 0;
    for (int t = 0; t < expected.length; t++) {
      for (int i = 0; i < expected[t].length; i++) {
        max = Math.max(max, Math.abs(actual.get(top, t, i) - expected[t][i]));
      }
    }
    return max;
  }
}
