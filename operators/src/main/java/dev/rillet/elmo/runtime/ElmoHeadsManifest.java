package dev.rillet.elmo.runtime;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.rillet.onnx.ManifestFields;
import dev.rillet.onnx.ModelPackageException;
import dev.rillet.onnx.VocabularySection;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

/**
 * The {@code manifest.json} of an ELMo heads package (see {@link ElmoHeads} for the fields), read
 * through {@link ManifestFields} and checked in itself; what it says about the graph is checked
 * against the graph by {@link ElmoHeads}. Immutable.
 */
final class ElmoHeadsManifest {
  static final String KIND = "elmo-heads";

  /** id@version. */
  final String id;

  /** The ONNX file's name inside the package folder. */
  final String file;

  /** L+1. */
  final int layers;

  /** 2P. */
  final int dim;

  final List<String> tagLabels;

  /** The binary head's labels (may be empty). */
  final List<String> sentiment2Labels;

  /** The 5-class head's labels; empty when the package has no such head. */
  final List<String> sentiment5Labels;

  /** The tag head's per-layer factors {@code gamma * softmax(w)_k}; null when not recorded. */
  final float[] tagScalarMix;

  /** The biLM the heads were trained on: its id ("unnamed" when not recorded). */
  final String bilmId;

  /** That biLM's weights digest; null when not recorded. */
  final String bilmSha256;

  /** The package's own word vectors' vocabulary; null without word vectors. */
  final VocabularySection vocabulary;

  private ElmoHeadsManifest(Path manifest, JsonNode m) {
    ManifestFields f = new ManifestFields(manifest);
    this.id =
        f.text(m, "", "id", "the heads id, e.g. \"elmo-heads\"")
            + "@"
            + f.text(m, "", "version", "the heads version, e.g. \"1.0.0\"");
    f.kind(m, KIND);
    this.file = f.fileName(m, "", "file", "the ONNX file name, e.g. \"heads.onnx\"");
    this.layers = f.positiveInt(m, "", "layers", "L+1, the biLM layers the heads read");
    this.dim = f.positiveInt(m, "", "dim", "2P, the width of the biLM's layers");
    this.tagLabels = f.strings(m, "", "tagLabels", false);
    if (tagLabels.isEmpty()) {
      throw f.fail("field 'tagLabels' is empty: list the C tag labels in logit order");
    }
    this.sentiment2Labels = f.strings(m, "", SentimentHead.SST2.labelsField(), false);
    // Optional: packages made before the 5-class head existed have no such field.
    this.sentiment5Labels = f.strings(m, "", SentimentHead.SST5.labelsField(), true);
    this.tagScalarMix =
        m.has("tagScalarMix") ? scalarMix(f, f.object(m, "", "tagScalarMix")) : null;
    JsonNode bilm = m.has("bilm") ? f.object(m, "", "bilm") : null;
    String bilmName = bilm == null ? null : f.optionalText(bilm, "bilm.", "id", "the biLM's id");
    this.bilmId = bilmName == null ? "unnamed" : bilmName;
    this.bilmSha256 =
        bilm == null
            ? null
            : f.optionalText(bilm, "bilm.", "weightsSha256", "the biLM weights' SHA-256, hex");
    this.vocabulary = m.has("vocabulary") ? VocabularySection.read(manifest, m) : null;
  }

  /**
   * Reads the manifest of the heads package in {@code dir}.
   *
   * @throws ModelPackageException when it is missing, not JSON, or a field is missing or invalid;
   *     the message names the file, the field and the fix
   */
  static ElmoHeadsManifest read(Path dir) {
    Path manifest = dir.resolve("manifest.json");
    if (!Files.isRegularFile(manifest)) {
      throw new ModelPackageException(
          "ELMo heads folder "
              + dir.toAbsolutePath()
              + " holds no manifest.json: point --elmo-heads at a heads package such as"
              + " models/elmo-heads");
    }
    JsonNode root;
    try {
      root = new ObjectMapper().readTree(manifest.toFile());
    } catch (IOException e) {
      throw new ModelPackageException(
          manifest + " is not valid JSON: " + e.getMessage() + "; regenerate the package", e);
    }
    return new ElmoHeadsManifest(manifest, root);
  }

  /** {@code tagScalarMix: {weights: [L+1 numbers], gamma: number}} as per-layer factors. */
  private float[] scalarMix(ManifestFields f, JsonNode mix) {
    String expected = "the tag head's scalar mix; regenerate the package";
    double[] w = f.numbers(mix, "tagScalarMix.", "weights", layers, expected);
    double gamma = f.number(mix, "tagScalarMix.", "gamma", expected);
    double max = Arrays.stream(w).max().orElseThrow();
    // Summed in order, not with DoubleStream.sum (compensated): the factors stay as they were.
    double sum = 0;
    for (double x : w) {
      sum += Math.exp(x - max);
    }
    float[] out = new float[layers];
    for (int k = 0; k < layers; k++) {
      out[k] = (float) (gamma * Math.exp(w[k] - max) / sum);
    }
    return out;
  }
}
