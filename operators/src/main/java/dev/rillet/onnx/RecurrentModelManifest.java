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
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

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
  private final String vocabularyFile;
  private final List<Normalization> normalization;
  private final int unknownId;
  private final int paddingId;
  private final boolean unknownClasses;
  private final List<String> tagLabels;
  private final List<String> sentimentLabels;
  private final String licence;
  private final Map<String, String> provenance;
  private final String purpose;

  private RecurrentModelManifest(Path file, JsonNode root) {
    Fields f = new Fields(file);
    this.file = file;
    this.id = f.text(root, "", "id", "the model id, e.g. \"demo-gru\"");
    this.version = f.text(root, "", "version", "the model version, e.g. \"0.1.0\"");
    String kind = f.text(root, "", "kind", "\"recurrent\"");
    if (!kind.equals("recurrent")) {
      throw f.fail("field 'kind' is \"" + kind + "\" but this loader reads \"recurrent\" packages");
    }
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

    JsonNode vocab = f.object(root, "", "vocabulary");
    this.vocabularyFile =
        f.fileName(vocab, "vocabulary.", "file", "the vocabulary file name, e.g. \"vocab.txt\"");
    List<Normalization> steps = new ArrayList<>();
    for (String name : f.strings(vocab, "vocabulary.", "normalization", true)) {
      Normalization n = Normalization.fromManifestName(name);
      if (n == null) {
        throw f.fail(
            "vocabulary.normalization lists \""
                + name
                + "\": known steps are \"lowercase\" and \"digits\"");
      }
      steps.add(n);
    }
    this.normalization = Collections.unmodifiableList(steps);
    this.unknownId = f.nonNegativeInt(vocab, "vocabulary.", "unknownId", "the id of <unk>");
    this.paddingId = f.nonNegativeInt(vocab, "vocabulary.", "paddingId", "the id of <pad>");
    if (vocab.has("unknownClasses")) {
      String scheme =
          f.text(vocab, "vocabulary.", "unknownClasses", '"' + UnknownWordClasses.SCHEME + '"');
      if (!scheme.equals(UnknownWordClasses.SCHEME)) {
        throw f.fail(
            "vocabulary.unknownClasses is \""
                + scheme
                + "\" but this Rillet knows only \""
                + UnknownWordClasses.SCHEME
                + "\": retrain the package with a matching recipe or upgrade Rillet");
      }
      this.unknownClasses = true;
    } else {
      this.unknownClasses = false;
    }

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
              + ": a model package folder must contain manifest.json (see training/README.md)",
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

  /** Vocabulary file name, relative to the package folder. */
  public String vocabularyFile() {
    return vocabularyFile;
  }

  public List<Normalization> normalization() {
    return normalization;
  }

  public int unknownId() {
    return unknownId;
  }

  public int paddingId() {
    return paddingId;
  }

  /** True when the vocabulary has {@link UnknownWordClasses} entries ({@code unknownClasses}). */
  public boolean unknownClasses() {
    return unknownClasses;
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

  /** Field access with messages that name the file, the field and the fix. */
  private static final class Fields {
    private final Path file;

    Fields(Path file) {
      this.file = file;
    }

    ModelPackageException fail(String what) {
      return new ModelPackageException(file + ": " + what);
    }

    private JsonNode required(JsonNode parent, String prefix, String name, String expected) {
      JsonNode node = parent.get(name);
      if (node == null || node.isNull()) {
        throw fail("required field '" + prefix + name + "' is missing: add it (" + expected + ")");
      }
      return node;
    }

    String text(JsonNode parent, String prefix, String name, String expected) {
      JsonNode node = required(parent, prefix, name, expected);
      if (!node.isTextual() || node.asText().isEmpty()) {
        throw fail("field '" + prefix + name + "' must be a non-empty string: " + expected);
      }
      return node.asText();
    }

    String fileName(JsonNode parent, String prefix, String name, String expected) {
      String value = text(parent, prefix, name, expected);
      Path p = Path.of(value);
      if (p.isAbsolute() || p.getNameCount() != 1 || value.equals("..") || value.equals(".")) {
        throw fail(
            "field '"
                + prefix
                + name
                + "' is \""
                + value
                + "\": it must be a plain file name inside the package folder");
      }
      return value;
    }

    int positiveInt(JsonNode parent, String prefix, String name, String expected) {
      int v = nonNegativeInt(parent, prefix, name, expected);
      if (v == 0) {
        throw fail("field '" + prefix + name + "' is 0: it must be positive (" + expected + ")");
      }
      return v;
    }

    int nonNegativeInt(JsonNode parent, String prefix, String name, String expected) {
      JsonNode node = required(parent, prefix, name, expected);
      if (!node.isInt() || node.asInt() < 0) {
        throw fail(
            "field '"
                + prefix
                + name
                + "' is "
                + node
                + ": it must be an integer >= 0 ("
                + expected
                + ")");
      }
      return node.asInt();
    }

    JsonNode object(JsonNode parent, String prefix, String name) {
      JsonNode node = required(parent, prefix, name, "a JSON object");
      if (!node.isObject()) {
        throw fail("field '" + prefix + name + "' must be a JSON object");
      }
      return node;
    }

    List<String> strings(JsonNode parent, String prefix, String name, boolean optional) {
      JsonNode node = parent.get(name);
      if ((node == null || node.isNull()) && optional) {
        return List.of();
      }
      node = required(parent, prefix, name, "a JSON array of strings");
      if (!node.isArray()) {
        throw fail("field '" + prefix + name + "' must be a JSON array of strings");
      }
      List<String> out = new ArrayList<>(node.size());
      for (JsonNode e : node) {
        if (!e.isTextual()) {
          throw fail(
              "field '" + prefix + name + "' holds " + e + ": every element must be a string");
        }
        out.add(e.asText());
      }
      return Collections.unmodifiableList(out);
    }

    List<String> stateNames(JsonNode parent, String prefix, Cell cell, String suffix) {
      List<String> names = strings(parent, prefix, "states", false);
      if (names.size() != cell.stateCount()) {
        String example =
            cell == Cell.LSTM
                ? "[\"h" + suffix + "\", \"c" + suffix + "\"]"
                : "[\"state" + suffix + "\"]";
        throw fail(
            "field '"
                + prefix
                + "states' lists "
                + names.size()
                + " tensor(s) but cell \""
                + cell.manifestName()
                + "\" has "
                + cell.stateCount()
                + " state tensor(s)"
                + (cell == Cell.LSTM ? " (h, c)" : "")
                + ": list them, e.g. "
                + example
                + ", or fix 'cell'");
      }
      return names;
    }

    void distinct(String what, String first, List<String> rest) {
      Set<String> seen = new HashSet<>();
      seen.add(first);
      for (String n : rest) {
        if (!seen.add(n)) {
          throw fail(what + " name the tensor '" + n + "' twice: every tensor needs its own name");
        }
      }
    }
  }
}
