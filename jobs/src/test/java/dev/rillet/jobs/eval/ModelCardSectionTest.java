package dev.rillet.jobs.eval;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ModelCardSectionTest {
  @TempDir Path tmp;

  @Test
  void appendsOnceThenReplacesOnlyItsOwnSection() throws Exception {
    Path card = tmp.resolve("MODEL.md");
    Files.writeString(card, "# m\n\nrecipe text\n");
    ModelCardSection.write(card, "figures 1\n");
    String once = Files.readString(card);
    assertThat(once)
        .isEqualTo(
            "# m\n\nrecipe text\n\n"
                + ModelCardSection.BEGIN
                + "\nfigures 1\n"
                + ModelCardSection.END
                + "\n");

    Files.writeString(card, once + "\n## Known limits\nkept\n");
    ModelCardSection.write(card, "figures 2");
    assertThat(Files.readString(card))
        .isEqualTo(
            "# m\n\nrecipe text\n\n"
                + ModelCardSection.BEGIN
                + "\nfigures 2\n"
                + ModelCardSection.END
                + "\n\n## Known limits\nkept\n");
  }

  @Test
  void aMissingCardOrEndMarkerIsAnErrorThatNamesTheFile() throws Exception {
    Path missing = tmp.resolve("none/MODEL.md");
    assertThatThrownBy(() -> ModelCardSection.write(missing, "x"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining(missing + " does not exist");
    Path card = tmp.resolve("MODEL.md");
    Files.writeString(card, "# m\n" + ModelCardSection.BEGIN + "\nold\n");
    assertThatThrownBy(() -> ModelCardSection.write(card, "x"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining(card.toString())
        .hasMessageContaining("restore the end marker");
    assertThat(Files.readString(card)).isEqualTo("# m\n" + ModelCardSection.BEGIN + "\nold\n");
  }
}
