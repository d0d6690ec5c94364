package dev.rillet.onnx;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.apache.flink.annotation.Internal;

/**
 * Field access for a package's {@code manifest.json}, with messages that name the file, the field
 * and the fix: the one reader of the manifests of every package kind (recurrent models, their
 * vocabulary section, ELMo heads). {@code prefix} is the path of {@code parent} in the manifest
 * ({@code ""} at the root, e.g. {@code "inputs."} inside a section), {@code expected} says in words
 * what the field should hold. Every method throws a {@link ModelPackageException} for a missing or
 * mistyped field.
 */
@Internal
public final class ManifestFields {
  private final Path file;

  /**
   * @param file the manifest, as the messages name it
   */
  public ManifestFields(Path file) {
    this.file = file;
  }

  /** An exception about this manifest, for a problem the caller found. */
  public ModelPackageException fail(String what) {
    return new ModelPackageException(file + ": " + what);
  }

  private JsonNode required(JsonNode parent, String prefix, String name, String expected) {
    JsonNode node = parent.get(name);
    if (node == null || node.isNull()) {
      throw fail("required field '" + prefix + name + "' is missing: add it (" + expected + ")");
    }
    return node;
  }

  public String text(JsonNode parent, String prefix, String name, String expected) {
    JsonNode node = required(parent, prefix, name, expected);
    if (!node.isTextual() || node.asText().isEmpty()) {
      throw fail("field '" + prefix + name + "' must be a non-empty string: " + expected);
    }
    return node.asText();
  }

  /**
   * The root field {@code kind}, which must be {@code expected}: the kind of package this loader
   * reads.
   */
  public void kind(JsonNode root, String expected) {
    String kind = text(root, "", "kind", "\"" + expected + "\"");
    if (!kind.equals(expected)) {
      throw fail(
          "field 'kind' is \"" + kind + "\" but this loader reads \"" + expected + "\" packages");
    }
  }

  /** An optional string: null when absent, else as {@link #text}. */
  public String optionalText(JsonNode parent, String prefix, String name, String expected) {
    JsonNode node = parent.get(name);
    return node == null || node.isNull() ? null : text(parent, prefix, name, expected);
  }

  /** A required number. */
  public double number(JsonNode parent, String prefix, String name, String expected) {
    JsonNode node = required(parent, prefix, name, expected);
    if (!node.isNumber()) {
      throw mustBe(prefix, name, node, "a number", expected);
    }
    return node.asDouble();
  }

  /** "field 'name' is value: it must be what (expected)". */
  private ModelPackageException mustBe(
      String prefix, String name, JsonNode node, String what, String expected) {
    return fail(
        "field '"
            + prefix
            + name
            + "' is "
            + node
            + ": it must be "
            + what
            + " ("
            + expected
            + ")");
  }

  /** A required array of exactly {@code count} numbers. */
  public double[] numbers(JsonNode parent, String prefix, String name, int count, String expected) {
    JsonNode node = required(parent, prefix, name, expected);
    boolean numbers = node.isArray() && node.size() == count;
    for (int i = 0; numbers && i < count; i++) {
      numbers = node.get(i).isNumber();
    }
    if (!numbers) {
      throw mustBe(prefix, name, node, "an array of " + count + " numbers", expected);
    }
    double[] out = new double[count];
    for (int i = 0; i < count; i++) {
      out[i] = node.get(i).asDouble();
    }
    return out;
  }

  public String fileName(JsonNode parent, String prefix, String name, String expected) {
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

  public int positiveInt(JsonNode parent, String prefix, String name, String expected) {
    int v = nonNegativeInt(parent, prefix, name, expected);
    if (v == 0) {
      throw fail("field '" + prefix + name + "' is 0: it must be positive (" + expected + ")");
    }
    return v;
  }

  public int nonNegativeInt(JsonNode parent, String prefix, String name, String expected) {
    JsonNode node = required(parent, prefix, name, expected);
    if (!node.isInt() || node.asInt() < 0) {
      throw mustBe(prefix, name, node, "an integer >= 0", expected);
    }
    return node.asInt();
  }

  public JsonNode object(JsonNode parent, String prefix, String name) {
    JsonNode node = required(parent, prefix, name, "a JSON object");
    if (!node.isObject()) {
      throw fail("field '" + prefix + name + "' must be a JSON object");
    }
    return node;
  }

  public List<String> strings(JsonNode parent, String prefix, String name, boolean optional) {
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
        throw fail("field '" + prefix + name + "' holds " + e + ": every element must be a string");
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
