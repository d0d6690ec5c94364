package dev.rillet.jobs.eval;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads a CoNLL-U treebank (UD English EWT) into documents of sentences whose gold syntactic words
 * carry character offsets in the sentence's {@code # text}.
 *
 * <p>Offsets are found by walking the text: each surface token (a word line, or a multiword token
 * range line such as {@code 3-4 can't}) is matched at the cursor after skipping whitespace, or else
 * at its next occurrence. The words of a multiword token split its surface range by matching their
 * forms in order (ignoring case): {@code can't -> ca + n't}, {@code gonna -> gon + na}; a last word
 * that does not match takes the rest of the range. A word that cannot be placed gets offsets -1 and
 * so never aligns with a predicted token.
 *
 * <p>Documents start at {@code # newdoc} lines; sentences before the first one form a document of
 * their own named after their first sentence. Empty nodes ({@code 8.1}) are ignored.
 */
public final class Conllu {
  private Conllu() {}

  /** Reads a .conllu file. */
  public static List<UdDocument> read(Path file) throws IOException {
    try {
      return parse(Files.readAllLines(file, StandardCharsets.UTF_8));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(file + ": " + e.getMessage(), e);
    }
  }

  /**
   * Parses the lines of a CoNLL-U file.
   *
   * @throws IllegalArgumentException naming the line, for a sentence without {@code # text} or a
   *     token line with fewer than 4 columns
   */
  public static List<UdDocument> parse(List<String> lines) {
    List<UdDocument> documents = new ArrayList<>();
    String documentId = null;
    List<UdSentence> sentences = new ArrayList<>();
    String sentenceId = null;
    String text = null;
    List<Surface> surfaces = new ArrayList<>();
    int sentenceStart = 0;
    for (int n = 0; n <= lines.size(); n++) {
      String line = n < lines.size() ? lines.get(n) : "";
      if (line.isBlank()) {
        if (!surfaces.isEmpty() || text != null) {
          if (text == null) {
            throw new IllegalArgumentException(
                "sentence at line " + (sentenceStart + 1) + " has no '# text = ' line");
          }
          String id = sentenceId != null ? sentenceId : "line-" + (sentenceStart + 1);
          if (documentId == null) {
            documentId = id;
          }
          sentences.add(new UdSentence(id, documentId, text, locate(text, surfaces)));
        }
        sentenceId = null;
        text = null;
        surfaces = new ArrayList<>();
        continue;
      }
      if (surfaces.isEmpty() && sentenceId == null && text == null) {
        sentenceStart = n;
      }
      if (line.startsWith("#")) {
        String comment = line.substring(1).stripLeading();
        if (comment.startsWith("newdoc")) {
          if (!sentences.isEmpty()) {
            documents.add(new UdDocument(documentId, sentences));
            sentences = new ArrayList<>();
          }
          documentId = value(comment, "newdoc id", "doc-" + (documents.size() + 1));
        } else if (comment.startsWith("sent_id")) {
          sentenceId = value(comment, "sent_id", null);
        } else if (comment.startsWith("text ") || comment.startsWith("text=")) {
          text = value(comment, "text", "");
        }
        continue;
      }
      String[] columns = line.split("\t", -1);
      if (columns.length < 4) {
        throw new IllegalArgumentException(
            "line " + (n + 1) + " has " + columns.length + " column(s); CoNLL-U has 10: " + line);
      }
      String id = columns[0];
      if (id.indexOf('.') >= 0) {
        continue; // empty node: not a surface token, no UPOS of its own in the word sequence
      }
      int dash = id.indexOf('-');
      if (dash >= 0) {
        Surface range = new Surface(columns[1], new ArrayList<>());
        range.expected =
            Integer.parseInt(id.substring(dash + 1)) - Integer.parseInt(id.substring(0, dash)) + 1;
        surfaces.add(range);
      } else {
        Surface last = surfaces.isEmpty() ? null : surfaces.get(surfaces.size() - 1);
        String[] word = {columns[1], columns[3]};
        if (last != null && last.words.size() < last.expected) {
          last.words.add(word); // a word of the open multiword token
        } else {
          List<String[]> one = new ArrayList<>(1);
          one.add(word);
          surfaces.add(new Surface(columns[1], one));
        }
      }
    }
    if (!sentences.isEmpty()) {
      documents.add(new UdDocument(documentId, sentences));
    }
    return documents;
  }

  /** The value of a {@code key = value} comment, or {@code fallback} when it has none. */
  private static String value(String comment, String key, String fallback) {
    if (!comment.startsWith(key)) {
      return fallback;
    }
    String rest = comment.substring(key.length()).trim();
    if (!rest.startsWith("=")) {
      return fallback;
    }
    // Keep the text's own spacing after "= " (only the one separating space goes).
    String v = rest.substring(1);
    return v.startsWith(" ") ? v.substring(1) : v;
  }

  /** A surface token: a single word, or a multiword token and its words (form, UPOS). */
  private static final class Surface {
    final String form;
    final List<String[]> words;
    int expected = 1;

    Surface(String form, List<String[]> words) {
      this.form = form;
      this.words = words;
    }
  }

  /** Gives every word its offsets in {@code text}, walking the surface tokens in order. */
  private static List<GoldWord> locate(String text, List<Surface> surfaces) {
    List<GoldWord> words = new ArrayList<>();
    int cursor = 0;
    for (Surface s : surfaces) {
      while (cursor < text.length() && Character.isWhitespace(text.charAt(cursor))) {
        cursor++;
      }
      int begin = text.startsWith(s.form, cursor) ? cursor : text.indexOf(s.form, cursor);
      if (s.form.isEmpty() || begin < 0) {
        for (String[] w : s.words) {
          words.add(new GoldWord(w[0], w[1], -1, -1));
        }
        continue;
      }
      int end = begin + s.form.length();
      cursor = end;
      if (s.words.size() == 1) {
        String[] w = s.words.get(0);
        words.add(new GoldWord(w[0], w[1], begin, end));
      } else {
        split(text, begin, end, s.words, words);
      }
    }
    return words;
  }

  /** Splits the surface range [begin, end) of a multiword token among its words. */
  private static void split(
      String text, int begin, int end, List<String[]> parts, List<GoldWord> out) {
    int c = begin;
    for (int k = 0; k < parts.size(); k++) {
      String form = parts.get(k)[0];
      String upos = parts.get(k)[1];
      boolean last = k == parts.size() - 1;
      int at = find(text, form, c, end);
      if (at >= 0) {
        out.add(new GoldWord(form, upos, at, at + form.length()));
        c = at + form.length();
      } else if (last && c < end) {
        out.add(new GoldWord(form, upos, c, end));
        c = end;
      } else {
        out.add(new GoldWord(form, upos, -1, -1));
      }
    }
  }

  /** First position in [from, limit) where {@code form} matches ignoring case, or -1. */
  private static int find(String text, String form, int from, int limit) {
    if (form.isEmpty()) {
      return -1;
    }
    for (int i = from; i + form.length() <= limit; i++) {
      if (text.regionMatches(true, i, form, 0, form.length())) {
        return i;
      }
    }
    return -1;
  }
}
