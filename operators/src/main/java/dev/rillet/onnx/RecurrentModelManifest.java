package dev.rillet.onnx;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.flink.annotation.PublicEvolving;

/**
 * The {@code manifest.json} of a recurrent step model package, read and checked on its own (without
 * the ONNX graph; {@link RecurrentModelPackage} checks the two against each other).
 *
 * <p>Format (every field required unless marked optional; unknown fields are ignored):
 *
 * <pre>{@code
 * {
 *   "id": "demo-gru", "version": "0.1.0", "kind": "recurrent",
 *   "cell": "gru" | "lstm" | "rnn",
 *   "file": "model.onnx",
 *   "layers": L, "hidden": H,
 *   "inputs":  {"tokenIds": "token_ids", "states": ["state_in"]},        // lstm: ["h_in","c_in"]
 *   "outputs": {"tagLogits": "tag_logits",
 *               "sentimentLogits": "sentiment_logits",                  // optional
 *               "states": ["state_out"]},                               // lstm: ["h_out","c_out"]
 *   "vocabulary": {"file": "vocab.txt", "normalization": ["lowercase", "digits"],
 *                  "unknownId": 1, "paddingId": 0,
 *                  "unknownClasses": "shape-suffix-1"},                  // optional
 *   "tagLabels": ["ADJ", ...],                                          // C labels
 *   "sentimentLabels": ["negative", "positive"],                        // S labels; [] if none
 *   "licence": "...",
 *   "provenance": {"data": "...", "command": "...", "seed": "..."},    // string values
 *   "purpose": "demo"                                                   // optional
 * }
 * }</pre>
 *
 * Checks made here: required fields and their types, kind is "recurrent", the cell is known, L and
 * H are positive, the number of state inputs and outputs equals the cell's state count (lstm 2,
 * gru/rnn 1), tensor names are distinct, files stay inside the package folder, tag labels are not
 * empty, and sentiment labels are given exactly when a sentiment output is.
 *
 * <p>{@code vocabulary.unknownClasses} is optional: it names the {@link UnknownWordClasses} scheme
 * the vocabulary's {@code <unk:...>} entries follow; without it every unknown token maps to {@code
 * unknownId}.
 *
 * <p>{@code purpose} is optional free text saying what the package is for; {@code "demo"} marks a
 * small model trained to show the pipeline working, which commands point out to the user.
 */
@PublicEvolving
public final class RecurrentModelManifest {
  private static final ObjectMapper MAPPER = new ObjectMapper();

  private final Path file;
  private final String id;
  private final String version;
  private final Cell cell;
  private final String modelFile;
  private final int layers;
  private final int hidden;
  private final String tokenIdsInput;
  private final List<String> stateInputs;
  private final String tagLogitsOutput;
  private final String sentimentLogitsOutput;
  private final List<String> stateOutputs;
  private final VocabularySection vocabulary;
  private final List<String> tagLabels;
  private final List<String> sentimentLabels;
  private final String licence;
  private final Map<String, String> provenance;
  private final String purpose;

  private RecurrentModelManifest(Path file, JsonNode root) {
    ManifestFields f = new ManifestFields(file);
    this.file = file;
    this.id = f.text(root, "", "id", "the model id, e.g. \"demo-gru\"");
    this.version = f.text(root, "", "version", "the model version, e.g. \"0.1.0\"");
    f.kind(root, "recurrent");
    String cellName = f.text(root, "", "cell", "\"gru\", \"lstm\" or \"rnn\"");
    this.cell = Cell.fromManifestName(cellName);
    if (cell == null) {
      throw f.fail(
          "field 'cell' is \"" + cellName + "\": use \"gru\", \"lstm\" or \"rnn\" (lower case)");
    }
    this.modelFile = f.fileName(root, "", "file", "the ONNX file name, e.g. \"model.onnx\"");
    this.layers = f.positiveInt(root, "", "layers", "the number of recurrent layers L");
    this.hidden = f.positiveInt(root, "", "hidden", "the state size H");

    JsonNode inputs = f.object(root, "", "inputs");
    this.tokenIdsInput = f.text(inputs, "inputs.", "tokenIds", "the token id input name");
    this.stateInputs = f.stateNames(inputs, "inputs.", cell, "_in");
    JsonNode outputs = f.object(root, "", "outputs");
    this.tagLogitsOutput = f.text(outputs, "outputs.", "tagLogits", "the tag logits output name");
    this.sentimentLogitsOutput =
        outputs.has("sentimentLogits")
            ? f.text(outputs, "outputs.", "sentimentLogits", "the sentiment logits output name")
            : null;
    this.stateOutputs = f.stateNames(outputs, "outputs.", cell, "_out");
    f.distinct("inputs", tokenIdsInput, stateInputs);
    List<String> outs = new ArrayList<>(stateOutputs);
    if (sentimentLogitsOutput != null) {
      outs.add(sentimentLogitsOutput);
    }
    f.distinct("outputs", tagLogitsOutput, outs);

    this.vocabulary = VocabularySection.read(f, root);

    this.tagLabels = f.strings(root, "", "tagLabels", false);
    if (tagLabels.isEmpty()) {
      throw f.fail("field 'tagLabels' is empty: list the C tag labels in logit order");
    }
    this.sentimentLabels = f.strings(root, "", "sentimentLabels", true);
    if (sentimentLogitsOutput == null && !sentimentLabels.isEmpty()) {
      throw f.fail(
          "field 'sentimentLabels' is not empty but outputs.sentimentLogits is missing:"
              + " name the sentiment output or make sentimentLabels []");
    }
    if (sentimentLogitsOutput != null && sentimentLabels.isEmpty()) {
      throw f.fail(
          "outputs.sentimentLogits is set but 'sentimentLabels' is missing or empty:"
              + " list the S sentiment labels in logit order");
    }
    this.licence = f.text(root, "", "licence", "the licence of the model and its data");
    JsonNode prov = f.object(root, "", "provenance");
    Map<String, String> p = new LinkedHashMap<>();
    for (Iterator<Map.Entry<String, JsonNode>> it = prov.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      if (!e.getValue().isTextual()) {
        throw f.fail("provenance." + e.getKey() + " must be a string");
      }
      p.put(e.getKey(), e.getValue().asText());
    }
    this.provenance = Collections.unmodifiableMap(p);
    this.purpose =
        root.has("purpose")
            ? f.text(root, "", "purpose", "what the package is for, e.g. \"demo\"")
            : null;
  }

  /**
   * Reads and checks a manifest file.
   *
   * @throws ModelPackageException naming the file, the field and the fix
   */
  public static RecurrentModelManifest read(Path manifestFile) {
    JsonNode root;
    try {
      root = MAPPER.readTree(Files.readAllBytes(manifestFile));
    } catch (NoSuchFileException e) {
      throw new ModelPackageException(
          "no manifest at "
              + manifestFile
              + ": a model package folder must contain manifest.json (see docs/model-packages.md)",
          e);
    } catch (JsonProcessingException e) {
      throw new ModelPackageException(
          manifestFile + " is not valid JSON: " + e.getOriginalMessage(), e);
    } catch (IOException e) {
      throw new ModelPackageException("cannot read " + manifestFile + ": " + e, e);
    }
    if (root == null || !root.isObject()) {
      throw new ModelPackageException(manifestFile + " must hold one JSON object");
    }
    return new RecurrentModelManifest(manifestFile, root);
  }

  /** The manifest file this was read from. */
  public Path file() {
    return file;
  }

  public String id() {
    return id;
  }

  public String version() {
    return version;
  }

  public Cell cell() {
    return cell;
  }

  /** ONNX file name, relative to the package folder. */
  public String modelFile() {
    return modelFile;
  }

  public int layers() {
    return layers;
  }

  public int hidden() {
    return hidden;
  }

  public String tokenIdsInput() {
    return tokenIdsInput;
  }

  /** State input names in order (lstm: h then c). */
  public List<String> stateInputs() {
    return stateInputs;
  }

  public String tagLogitsOutput() {
    return tagLogitsOutput;
  }

  /** The sentiment logits output name, or null when the model has none. */
  public String sentimentLogitsOutput() {
    return sentimentLogitsOutput;
  }

  /** State output names, in the same order as {@link #stateInputs()}. */
  public List<String> stateOutputs() {
    return stateOutputs;
  }

  /** The vocabulary section. */
  public VocabularySection vocabulary() {
    return vocabulary;
  }

  public List<String> tagLabels() {
    return tagLabels;
  }

  /** Sentiment labels in logit order; empty when the model has no sentiment output. */
  public List<String> sentimentLabels() {
    return sentimentLabels;
  }

  public String licence() {
    return licence;
  }

  public Map<String, String> provenance() {
    return provenance;
  }

  /** The optional {@code purpose} field, or null when the manifest has none. */
  public String purpose() {
    return purpose;
  }

  /**
   * True when the manifest says {@code "purpose": "demo"}: a small model for showing the pipeline.
   */
  public boolean isDemo() {
    return "demo".equals(purpose);
  }
}
