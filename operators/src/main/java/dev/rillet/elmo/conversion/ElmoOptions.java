package dev.rillet.elmo.conversion;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.OptionalDouble;
import org.apache.flink.annotation.PublicEvolving;

/**
 * The hyper-parameters of an AllenNLP / bilm-tf ELMo model, from its {@code options.json}:
 *
 * <pre>
 * {"lstm": {"dim": 4096, "projection_dim": 512, "n_layers": 2, "cell_clip": 3, "proj_clip": 3,
 *           "use_skip_connections": true},
 *  "char_cnn": {"embedding": {"dim": 16}, "filters": [[1, 32], [2, 32], ...], "n_highway": 2,
 *               "activation": "relu", "n_characters": 262, "max_characters_per_token": 50}}
 * </pre>
 *
 * <p>Optional fields and their defaults (as bilm-tf reads them): {@code cell_clip} / {@code
 * proj_clip} absent = no clipping; {@code use_skip_connections} absent = false; {@code n_highway}
 * absent = 0; {@code activation} absent = relu; {@code max_characters_per_token} absent = 50.
 * {@code n_characters} may be 261 (as written by training) or 262 (as for inference); both mean the
 * same ids here. Unknown fields (e.g. training settings) are ignored. Immutable.
 */
@PublicEvolving
public final class ElmoOptions {
  /** The char-CNN activation (applied after the max over positions). */
  public enum Activation {
    RELU,
    TANH
  }

  private final int charDim;
  private final int[][] filters;
  private final int nHighway;
  private final Activation activation;
  private final int nCharacters;
  private final int maxCharactersPerToken;
  private final int lstmDim;
  private final int projectionDim;
  private final int nLayers;
  private final OptionalDouble cellClip;
  private final OptionalDouble projClip;
  private final boolean skipConnections;

  /**
   * Creates validated options.
   *
   * @param source names these options in error messages (a file, or what built them)
   * @throws ElmoFormatException naming the first invalid field
   */
  public ElmoOptions(
      String source,
      int charDim,
      int[][] filters,
      int nHighway,
      Activation activation,
      int nCharacters,
      int maxCharactersPerToken,
      int lstmDim,
      int projectionDim,
      int nLayers,
      OptionalDouble cellClip,
      OptionalDouble projClip,
      boolean skipConnections) {
    this.charDim = charDim;
    this.filters = new int[filters.length][];
    for (int i = 0; i < filters.length; i++) {
      this.filters[i] = filters[i].clone();
    }
    this.nHighway = nHighway;
    this.activation = activation;
    this.nCharacters = nCharacters;
    this.maxCharactersPerToken = maxCharactersPerToken;
    this.lstmDim = lstmDim;
    this.projectionDim = projectionDim;
    this.nLayers = nLayers;
    this.cellClip = cellClip;
    this.projClip = projClip;
    this.skipConnections = skipConnections;
    validate(source);
  }

  /** Reads and validates an {@code options.json} file. */
  public static ElmoOptions read(Path file) throws IOException {
    return parse(Files.readString(file), file.toString());
  }

  /**
   * Parses and validates options JSON; {@code source} names it in error messages.
   *
   * @throws ElmoFormatException for invalid JSON or a missing, mistyped or out-of-range field
   */
  public static ElmoOptions parse(String json, String source) {
    JsonNode root;
    try {
      root = new ObjectMapper().readTree(json);
    } catch (JsonProcessingException e) {
      throw new ElmoFormatException(
          source + ": not valid JSON (" + e.getOriginalMessage() + ")", e);
    }
    if (root == null || !root.isObject()) {
      throw new ElmoFormatException(source + ": expected a JSON object with 'lstm' and 'char_cnn'");
    }
    Fields f = new Fields(source, root);
    int[][] filters = f.filters("char_cnn.filters");
    String act = f.optionalText("char_cnn.activation", "relu");
    Activation activation;
    try {
      activation = Activation.valueOf(act.toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw new ElmoFormatException(
          source + ": char_cnn.activation is '" + act + "'; use \"relu\" or \"tanh\"");
    }
    return new ElmoOptions(
        source,
        f.integer("char_cnn.embedding.dim"),
        filters,
        f.optionalInteger("char_cnn.n_highway", 0),
        activation,
        f.integer("char_cnn.n_characters"),
        f.optionalInteger("char_cnn.max_characters_per_token", 50),
        f.integer("lstm.dim"),
        f.integer("lstm.projection_dim"),
        f.integer("lstm.n_layers"),
        f.optionalNumber("lstm.cell_clip"),
        f.optionalNumber("lstm.proj_clip"),
        f.optionalBoolean("lstm.use_skip_connections", false));
  }

  private void validate(String source) {
    require(charDim >= 1, source, "char_cnn.embedding.dim", ">= 1", charDim);
    require(
        maxCharactersPerToken >= 3,
        source,
        "char_cnn.max_characters_per_token",
        ">= 3 (BOW, one byte, EOW)",
        maxCharactersPerToken);
    if (filters.length == 0) {
      throw new ElmoFormatException(
          source + ": char_cnn.filters is empty; give at least one [width, count] pair");
    }
    for (int i = 0; i < filters.length; i++) {
      int[] fl = filters[i];
      if (fl.length != 2 || fl[0] < 1 || fl[1] < 1) {
        throw new ElmoFormatException(
            source
                + ": char_cnn.filters["
                + i
                + "] is "
                + Arrays.toString(fl)
                + "; each filter must be [width >= 1, count >= 1]");
      }
      if (fl[0] > maxCharactersPerToken) {
        throw new ElmoFormatException(
            source
                + ": char_cnn.filters["
                + i
                + "] has width "
                + fl[0]
                + ", wider than char_cnn.max_characters_per_token "
                + maxCharactersPerToken);
      }
    }
    require(nHighway >= 0, source, "char_cnn.n_highway", ">= 0", nHighway);
    if (nCharacters != 261 && nCharacters != 262) {
      throw new ElmoFormatException(
          source
              + ": char_cnn.n_characters is "
              + nCharacters
              + "; ELMo's byte vocabulary has 261 ids (+1 padding = 262): use 262");
    }
    require(lstmDim >= 1, source, "lstm.dim", ">= 1", lstmDim);
    require(projectionDim >= 1, source, "lstm.projection_dim", ">= 1", projectionDim);
    require(projectionDim <= lstmDim, source, "lstm.projection_dim", "<= lstm.dim", projectionDim);
    require(nLayers >= 1, source, "lstm.n_layers", ">= 1", nLayers);
    if (cellClip.isPresent() && !(cellClip.getAsDouble() > 0)) {
      throw new ElmoFormatException(
          source + ": lstm.cell_clip is " + cellClip.getAsDouble() + "; use a value > 0 or omit");
    }
    if (projClip.isPresent() && !(projClip.getAsDouble() > 0)) {
      throw new ElmoFormatException(
          source + ": lstm.proj_clip is " + projClip.getAsDouble() + "; use a value > 0 or omit");
    }
    if (projectionDim > totalFilters()) {
      throw new ElmoFormatException(
          source
              + ": lstm.projection_dim "
              + projectionDim
              + " is larger than the "
              + totalFilters()
              + " char-CNN filters in total; the token projection can only reduce");
    }
  }

  private static void require(boolean ok, String source, String field, String what, int value) {
    if (!ok) {
      throw new ElmoFormatException(
          source + ": " + field + " must be " + what + ", got " + value + "; fix the file");
    }
  }

  public int charDim() {
    return charDim;
  }

  /** The char-CNN filters as {@code [width, count]} pairs (a copy). */
  public int[][] filters() {
    int[][] copy = new int[filters.length][];
    for (int i = 0; i < filters.length; i++) {
      copy[i] = filters[i].clone();
    }
    return copy;
  }

  /** Width of filter {@code i}. */
  public int filterWidth(int i) {
    return filters[i][0];
  }

  /** Output channels of filter {@code i}. */
  public int filterCount(int i) {
    return filters[i][1];
  }

  public int numFilters() {
    return filters.length;
  }

  /** Sum of all filter counts: the width of the char-CNN output. */
  public int totalFilters() {
    int n = 0;
    for (int[] f : filters) {
      n += f[1];
    }
    return n;
  }

  public int nHighway() {
    return nHighway;
  }

  public Activation activation() {
    return activation;
  }

  public int nCharacters() {
    return nCharacters;
  }

  public int maxCharactersPerToken() {
    return maxCharactersPerToken;
  }

  /** LSTM cell size (H). */
  public int lstmDim() {
    return lstmDim;
  }

  /** LSTM projection size (P): the width of the token vector and of each direction's output. */
  public int projectionDim() {
    return projectionDim;
  }

  /** True when the LSTM projects its output ({@code projection_dim < dim}, as in bilm-tf). */
  public boolean lstmProjects() {
    return projectionDim < lstmDim;
  }

  /** True when the char-CNN output is projected ({@code projection_dim != totalFilters()}). */
  public boolean tokenProjects() {
    return projectionDim != totalFilters();
  }

  public int nLayers() {
    return nLayers;
  }

  public OptionalDouble cellClip() {
    return cellClip;
  }

  public OptionalDouble projClip() {
    return projClip;
  }

  /** Residual connections around LSTM layers 1.. (not layer 0). */
  public boolean skipConnections() {
    return skipConnections;
  }

  /** Reads nested fields by dotted path, failing with messages that name the path. */
  private static final class Fields {
    private final String source;
    private final JsonNode root;

    Fields(String source, JsonNode root) {
      this.source = source;
      this.root = root;
    }

    private JsonNode find(String path) {
      JsonNode n = root;
      for (String part : path.split("\\.")) {
        n = n == null || !n.isObject() ? null : n.get(part);
      }
      return n == null || n.isNull() ? null : n;
    }

    int integer(String path) {
      JsonNode n = find(path);
      if (n == null) {
        throw new ElmoFormatException(source + ": missing " + path + "; add it (an integer)");
      }
      return asInt(path, n);
    }

    int optionalInteger(String path, int fallback) {
      JsonNode n = find(path);
      return n == null ? fallback : asInt(path, n);
    }

    private int asInt(String path, JsonNode n) {
      if (!n.isIntegralNumber() && !(n.isNumber() && n.asDouble() == Math.rint(n.asDouble()))) {
        throw new ElmoFormatException(
            source + ": " + path + " is " + n + "; it must be an integer");
      }
      return n.asInt();
    }

    OptionalDouble optionalNumber(String path) {
      JsonNode n = find(path);
      if (n == null) {
        return OptionalDouble.empty();
      }
      if (!n.isNumber()) {
        throw new ElmoFormatException(source + ": " + path + " is " + n + "; it must be a number");
      }
      return OptionalDouble.of(n.asDouble());
    }

    boolean optionalBoolean(String path, boolean fallback) {
      JsonNode n = find(path);
      if (n == null) {
        return fallback;
      }
      if (!n.isBoolean()) {
        throw new ElmoFormatException(
            source + ": " + path + " is " + n + "; it must be true or false");
      }
      return n.asBoolean();
    }

    String optionalText(String path, String fallback) {
      JsonNode n = find(path);
      if (n == null) {
        return fallback;
      }
      if (!n.isTextual()) {
        throw new ElmoFormatException(source + ": " + path + " is " + n + "; it must be a string");
      }
      return n.asText();
    }

    int[][] filters(String path) {
      JsonNode n = find(path);
      if (n == null || !n.isArray()) {
        throw new ElmoFormatException(
            source
                + ": "
                + (n == null ? "missing " + path : path + " is " + n)
                + "; it must be a list of [width, count] pairs, e.g. [[1, 32], [2, 32]]");
      }
      List<int[]> out = new ArrayList<>();
      for (int i = 0; i < n.size(); i++) {
        JsonNode pair = n.get(i);
        if (!pair.isArray()
            || pair.size() != 2
            || !pair.get(0).isIntegralNumber()
            || !pair.get(1).isIntegralNumber()) {
          throw new ElmoFormatException(
              source + ": " + path + "[" + i + "] is " + pair + "; it must be [width, count]");
        }
        out.add(new int[] {pair.get(0).asInt(), pair.get(1).asInt()});
      }
      return out.toArray(new int[0][]);
    }
  }
}
