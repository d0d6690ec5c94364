package dev.rillet.onnx;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.apache.flink.annotation.PublicEvolving;

/**
 * Token to id mapping of a recurrent model package: {@code vocab.txt} holds one token per line, the
 * line index (from 0) is the id. Tokens are normalized before lookup exactly as the training recipe
 * normalized them (see {@link Normalization}); a token not in the vocabulary maps to the unknown
 * id.
 *
 * <p>Immutable and thread-safe. {@link #id(String)} allocates nothing when the token is already in
 * normalized form (the common case: lower-case ASCII without digits 1-9); otherwise it allocates
 * only the normalized string.
 */
@PublicEvolving
public final class Vocabulary {
  private final String[] tokens;

  /**
   * Open-addressing index of the tokens, keyed by {@code String.hashCode()}: {@link #id(String)}
   * can hash and compare an ASCII token's normalized form char by char without building it.
   */
  private final String[] slotTokens;

  private final int[] slotIds;
  private final int mask;
  private final boolean lowercase;
  private final boolean digits;
  private final int unknownId;
  private final int paddingId;

  /**
   * Id per {@link UnknownWordClasses} index ({@link #unknownId} where the vocabulary lacks the
   * class), or null when the package has no unknown-word classes.
   */
  private final int[] classIds;

  private Vocabulary(
      String[] tokens,
      Set<Normalization> normalization,
      int unknownId,
      int paddingId,
      boolean unknownClasses) {
    this.tokens = tokens;
    int capacity = Integer.highestOneBit(Math.max(2, tokens.length) * 2 - 1) << 1;
    this.slotTokens = new String[capacity];
    this.slotIds = new int[capacity];
    this.mask = capacity - 1;
    for (int i = 0; i < tokens.length; i++) {
      int slot = spread(tokens[i].hashCode()) & mask;
      while (slotTokens[slot] != null && !slotTokens[slot].equals(tokens[i])) {
        slot = (slot + 1) & mask;
      }
      if (slotTokens[slot] == null) { // first occurrence wins; load() rejects duplicates
        slotTokens[slot] = tokens[i];
        slotIds[slot] = i;
      }
    }
    this.lowercase = normalization.contains(Normalization.LOWERCASE);
    this.digits = normalization.contains(Normalization.DIGITS);
    this.unknownId = unknownId;
    this.paddingId = paddingId;
    if (unknownClasses) {
      List<String> names = UnknownWordClasses.names();
      this.classIds = new int[names.size()];
      for (int c = 0; c < classIds.length; c++) {
        classIds[c] = lookup(names.get(c));
      }
    } else {
      this.classIds = null;
    }
  }

  /**
   * Reads a vocabulary file (UTF-8, one token per line) without unknown-word classes: every token
   * not in it maps to {@code unknownId}.
   *
   * @see #load(Path, List, int, int, boolean)
   */
  public static Vocabulary load(
      Path file, List<Normalization> normalization, int unknownId, int paddingId) {
    return load(file, normalization, unknownId, paddingId, false);
  }

  /**
   * Reads a vocabulary file (UTF-8, one token per line). With {@code unknownClasses}, a token not
   * in the file maps to the id of its {@link UnknownWordClasses} entry when the file has that
   * entry, else to {@code unknownId}.
   *
   * @throws ModelPackageException when the file is missing or unreadable, a line is empty or
   *     repeats an earlier token, a token is not in normalized form, or unknownId/paddingId are out
   *     of range or equal
   */
  public static Vocabulary load(
      Path file,
      List<Normalization> normalization,
      int unknownId,
      int paddingId,
      boolean unknownClasses) {
    List<String> lines;
    try {
      lines = Files.readAllLines(file, StandardCharsets.UTF_8);
    } catch (NoSuchFileException e) {
      throw new ModelPackageException(
          "vocabulary file "
              + file
              + " does not exist: put the package's vocab.txt there or fix"
              + " vocabulary.file in manifest.json",
          e);
    } catch (IOException e) {
      throw new ModelPackageException("cannot read vocabulary file " + file + ": " + e, e);
    }
    Set<Normalization> steps =
        normalization.isEmpty()
            ? EnumSet.noneOf(Normalization.class)
            : EnumSet.copyOf(normalization);
    String[] tokens = lines.toArray(new String[0]);
    for (int which = 0; which < 2; which++) {
      int id = which == 0 ? unknownId : paddingId;
      if (id < 0 || id >= tokens.length) {
        throw new ModelPackageException(
            "manifest.json vocabulary."
                + (which == 0 ? "unknownId" : "paddingId")
                + "="
                + id
                + " is outside "
                + file
                + " (ids 0.."
                + (tokens.length - 1)
                + "): fix the id or the vocabulary file");
      }
    }
    if (unknownId == paddingId) {
      throw new ModelPackageException(
          "manifest.json vocabulary.unknownId and paddingId are both "
              + unknownId
              + ": they must be different ids in "
              + file);
    }
    Map<String, Integer> ids = new HashMap<>(tokens.length * 2);
    Vocabulary vocabulary = new Vocabulary(tokens, steps, unknownId, paddingId, unknownClasses);
    for (int i = 0; i < tokens.length; i++) {
      String token = tokens[i];
      if (token.isEmpty()) {
        throw new ModelPackageException(
            file + " line " + (i + 1) + " is empty: every line must hold one token");
      }
      if (i != unknownId && i != paddingId && !vocabulary.normalize(token).equals(token)) {
        throw new ModelPackageException(
            file
                + " line "
                + (i + 1)
                + " '"
                + token
                + "' is not normalized (it becomes '"
                + vocabulary.normalize(token)
                + "' under "
                + normalization
                + "): it could never be looked up; regenerate the vocabulary with the same"
                + " normalization as the manifest");
      }
      Integer previous = ids.putIfAbsent(token, i);
      if (previous != null) {
        throw new ModelPackageException(
            file
                + " lines "
                + (previous + 1)
                + " and "
                + (i + 1)
                + " both hold '"
                + token
                + "': every token must appear once");
      }
    }
    return vocabulary;
  }

  /**
   * The id of a token after normalization; when it is not known, the id of its unknown-word class
   * (see {@link UnknownWordClasses}) or {@link #unknownId()}.
   *
   * <p>Called for every token by the tagger, so an ASCII token is normalized on the fly while
   * hashing and comparing, allocating nothing; a token with non-ASCII chars goes through {@link
   * #normalize(String)} (whose Unicode lower-casing is not char by char in general).
   */
  public int id(String token) {
    int n = token.length();
    int hash = 0;
    for (int i = 0; i < n; i++) {
      char c = token.charAt(i);
      if (c >= 0x80) {
        int id = lookup(normalize(token));
        return id == unknownId ? unknown(token) : id;
      }
      hash = 31 * hash + asciiNormalized(c);
    }
    for (int slot = spread(hash) & mask; slotTokens[slot] != null; slot = (slot + 1) & mask) {
      String candidate = slotTokens[slot];
      if (candidate.length() == n && sameNormalizedAscii(candidate, token)) {
        return slotIds[slot];
      }
    }
    return unknown(token);
  }

  private int unknown(String token) {
    return classIds == null || token.isEmpty()
        ? unknownId
        : classIds[UnknownWordClasses.classify(token)];
  }

  private int lookup(String normalized) {
    int slot = spread(normalized.hashCode()) & mask;
    for (; slotTokens[slot] != null; slot = (slot + 1) & mask) {
      if (slotTokens[slot].equals(normalized)) {
        return slotIds[slot];
      }
    }
    return unknownId;
  }

  private boolean sameNormalizedAscii(String normalized, String ascii) {
    for (int i = 0; i < ascii.length(); i++) {
      if (normalized.charAt(i) != asciiNormalized(ascii.charAt(i))) {
        return false;
      }
    }
    return true;
  }

  /** What {@link #normalize} makes of an ASCII char (Locale.ROOT lower-casing is A-Z only). */
  private char asciiNormalized(char c) {
    if (lowercase && c >= 'A' && c <= 'Z') {
      return (char) (c + ('a' - 'A'));
    }
    if (digits && c >= '1' && c <= '9') {
      return '0';
    }
    return c;
  }

  private static int spread(int hash) {
    return hash ^ (hash >>> 16);
  }

  /**
   * Applies the manifest's normalization. Returns the argument itself when nothing changes, so the
   * common case allocates nothing.
   */
  public String normalize(String token) {
    if (!lowercase && !digits) {
      return token;
    }
    int n = token.length();
    for (int i = 0; i < n; i++) {
      char c = token.charAt(i);
      if (c >= 0x80 || (lowercase && c >= 'A' && c <= 'Z') || (digits && c >= '1' && c <= '9')) {
        return normalizeSlow(token);
      }
    }
    return token;
  }

  private String normalizeSlow(String token) {
    // toLowerCase returns the same instance when nothing changes.
    String s = lowercase ? token.toLowerCase(Locale.ROOT) : token;
    if (!digits) {
      return s;
    }
    int n = s.length();
    int i = 0;
    while (i < n) {
      int cp = s.codePointAt(i);
      if (cp != '0' && Character.isDigit(cp)) {
        break;
      }
      i += Character.charCount(cp);
    }
    if (i == n) {
      return s;
    }
    StringBuilder out = new StringBuilder(n).append(s, 0, i);
    while (i < n) {
      int cp = s.codePointAt(i);
      if (Character.isDigit(cp)) {
        out.append('0');
      } else {
        out.appendCodePoint(cp);
      }
      i += Character.charCount(cp);
    }
    return out.toString();
  }

  /** The token stored at an id (normalized form). */
  public String token(int id) {
    return tokens[id];
  }

  /** Number of ids, i.e. lines in the vocabulary file. */
  public int size() {
    return tokens.length;
  }

  public int unknownId() {
    return unknownId;
  }

  public int paddingId() {
    return paddingId;
  }
}
