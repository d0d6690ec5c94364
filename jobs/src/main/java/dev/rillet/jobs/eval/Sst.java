package dev.rillet.jobs.eval;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads SST sentence files ({@code stsa.binary.*}, {@code stsa.fine.*}): one {@code <label>
 * <sentence>} per line.
 *
 * <p>SST writes brackets and quotes the Penn Treebank way ({@code -lrb- -rrb- `` '' `}). {@link
 * #parse} turns them back into the characters a user's text carries ({@code ( ) " " '}), so the
 * evaluation feeds the tokenizer what the live job would see, and {@code rillet tokenize --format
 * sst} gives the training recipes the same tokens.
 */
public final class Sst {
  private Sst() {}

  /**
   * Reads a file; sentence ids are {@code idPrefix + "-" + line number} (1-based). Blank lines are
   * skipped.
   */
  public static List<SstSentence> read(Path file, String idPrefix) throws IOException {
    try {
      return parse(Files.readAllLines(file, StandardCharsets.UTF_8), idPrefix);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(file + ": " + e.getMessage(), e);
    }
  }

  /**
   * Parses lines {@code <label> <sentence>}; the sentence's PTB brackets and quotes are restored
   * ({@link #restorePunctuation}).
   *
   * @throws IllegalArgumentException naming the line when it does not start with an integer label
   *     and a space, or has no sentence
   */
  public static List<SstSentence> parse(List<String> lines, String idPrefix) {
    List<SstSentence> out = new ArrayList<>(lines.size());
    for (int n = 0; n < lines.size(); n++) {
      String line = lines.get(n);
      if (line.isBlank()) {
        continue;
      }
      int space = line.indexOf(' ');
      String text = space < 0 ? "" : line.substring(space + 1).strip();
      int label;
      try {
        label = Integer.parseInt(space < 0 ? line : line.substring(0, space));
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException(
            "line " + (n + 1) + " does not start with an integer label: " + line);
      }
      if (text.isEmpty()) {
        throw new IllegalArgumentException("line " + (n + 1) + " has a label but no sentence");
      }
      out.add(new SstSentence(idPrefix + "-" + (n + 1), label, restorePunctuation(text)));
    }
    return out;
  }

  /**
   * {@code text} with each space-separated PTB escape replaced by the character it stands for:
   * {@code -lrb- -rrb- -lsb- -rsb- -lcb- -rcb-} by brackets, {@code `` ''} by {@code "}, {@code `}
   * by {@code '}. Words that only contain such a sequence ({@code a-lrb-b}) are left alone.
   */
  static String restorePunctuation(String text) {
    String[] words = text.split(" ", -1);
    for (int i = 0; i < words.length; i++) {
      words[i] =
          switch (words[i]) {
            case "-lrb-" -> "(";
            case "-rrb-" -> ")";
            case "-lsb-" -> "[";
            case "-rsb-" -> "]";
            case "-lcb-" -> "{";
            case "-rcb-" -> "}";
            case "``", "''" -> "\"";
            case "`" -> "'";
            default -> words[i];
          };
    }
    return String.join(" ", words);
  }
}
