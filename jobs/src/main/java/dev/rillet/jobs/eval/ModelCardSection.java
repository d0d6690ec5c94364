package dev.rillet.jobs.eval;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/**
 * The evaluation section of a package's {@code MODEL.md}, written by {@code rillet eval
 * --model-card}: the text between {@link #BEGIN} and {@link #END} is replaced (or appended when the
 * card has none yet), so re-running the command refreshes the figures and leaves the rest of the
 * card as its training recipe wrote it.
 */
public final class ModelCardSection {
  static final String BEGIN = "<!-- rillet eval: begin (written by ./rillet eval --model-card) -->";
  static final String END = "<!-- rillet eval: end -->";

  private ModelCardSection() {}

  /**
   * Puts {@code body} (markdown, without the markers) into the card.
   *
   * @throws IllegalArgumentException when the card does not exist or has a begin marker without an
   *     end marker
   */
  public static void write(Path card, String body) throws IOException {
    String text;
    try {
      text = Files.readString(card, StandardCharsets.UTF_8);
    } catch (NoSuchFileException e) {
      throw new IllegalArgumentException(
          "--model-card: "
              + card
              + " does not exist; the package's training recipe writes it (training/README.md)",
          e);
    }
    String section = BEGIN + "\n" + body.strip() + "\n" + END + "\n";
    int begin = text.indexOf(BEGIN);
    String updated;
    if (begin < 0) {
      updated = text.stripTrailing() + "\n\n" + section;
    } else {
      int end = text.indexOf(END, begin);
      if (end < 0) {
        throw new IllegalArgumentException(
            "--model-card: "
                + card
                + " has the line '"
                + BEGIN
                + "' but not '"
                + END
                + "' after it; restore the end marker or delete the section");
      }
      int after = end + END.length();
      if (after < text.length() && text.charAt(after) == '\n') {
        after++;
      }
      updated = text.substring(0, begin) + section + text.substring(after);
    }
    Files.writeString(card, updated, StandardCharsets.UTF_8);
  }
}
