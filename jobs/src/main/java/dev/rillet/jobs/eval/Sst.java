package dev.rillet.jobs.eval;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Reads SST sentence files ({@code stsa.binary.*}): one {@code <label> <sentence>} per line. */
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
   * Parses lines {@code <label> <sentence>}.
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
      out.add(new SstSentence(idPrefix + "-" + (n + 1), label, text));
    }
    return out;
  }
}
