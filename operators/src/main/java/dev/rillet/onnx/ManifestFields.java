package dev.rillet.onnx;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Field access for a package's {@code manifest.json}, with messages that name the file, the field
 * and the fix. Shared by the manifests of the package kinds.
 */
final class ManifestFields {
  private final Path file;

  ManifestFields(Path file) {
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
