package dev.rillet.onnx;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import org.junit.jupiter.api.Test;

class UnknownWordClassesTest {

  /** The shared table the Python recipe is also tested against (training/tests). */
  private static List<String[]> table() throws IOException {
    List<String[]> rows = new ArrayList<>();
    try (InputStream in =
            UnknownWordClassesTest.class.getResourceAsStream("unknown-word-classes.tsv");
        BufferedReader reader =
            new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
      for (String line; (line = reader.readLine()) != null; ) {
        if (!line.startsWith("#")) {
          rows.add(line.split("\t", -1));
        }
      }
    }
    return rows;
  }

  @Test
  void everyTokenOfTheSharedTableGetsItsClass() throws IOException {
    List<String[]> rows = table();
    assertThat(rows).hasSizeGreaterThan(80);
    for (String[] row : rows) {
      assertThat(row).as("line %s", String.join("|", row)).hasSize(2);
      String name = UnknownWordClasses.names().get(UnknownWordClasses.classify(row[0]));
      assertThat(name).as("class of %s", row[0]).isEqualTo(row[1]);
    }
  }

  @Test
  void theTableExercisesEveryKindOfRule() throws IOException {
    var seen = new HashSet<String>();
    for (String[] row : table()) {
      seen.add(row[1]);
    }
    assertThat(seen)
        .contains(
            "<unk:url>",
            "<unk:email>",
            "<unk:punct>",
            "<unk:num>",
            "<unk:alnum>",
            "<unk:upper>",
            "<unk:cap-hyphen:-ed>",
            "<unk:lower-hyphen>");
    for (String suffix : UnknownWordClasses.SUFFIXES) {
      assertThat(seen.stream().anyMatch(c -> c.endsWith(":-" + suffix + ">")))
          .as("a table row with suffix -%s", suffix)
          .isTrue();
    }
  }

  @Test
  void namesAreDistinctAndNormalized() {
    List<String> names = UnknownWordClasses.names();
    assertThat(new HashSet<>(names)).hasSameSizeAs(names);
    assertThat(names).hasSize(5 + 3 * 2 * (UnknownWordClasses.SUFFIXES.length + 1));
    for (String name : names) {
      // Vocabulary.load checks entries are in normalized form under any normalization.
      assertThat(name).isLowerCase().doesNotContainPattern("[1-9]");
    }
  }
}
