package dev.rillet.onnx;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.rillet.testutils.TestModels;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class VocabularyTest {
  private static final List<Normalization> BOTH =
      List.of(Normalization.LOWERCASE, Normalization.DIGITS);

  @TempDir Path tmp;

  private Vocabulary vocab(List<Normalization> normalization, String... lines) throws IOException {
    Path file = tmp.resolve("vocab.txt");
    Files.write(file, List.of(lines), StandardCharsets.UTF_8);
    return Vocabulary.load(file, normalization, 1, 0);
  }

  @Test
  void lowercasesAndMapsEveryDecimalDigitToZero() throws IOException {
    Vocabulary v = vocab(BOTH, "<pad>", "<unk>", "the", "0000", "école", "0.00", "covid-00");
    assertThat(v.normalize("The")).isEqualTo("the");
    assertThat(v.normalize("1984")).isEqualTo("0000");
    assertThat(v.normalize("ÉCOLE")).isEqualTo("école");
    assertThat(v.normalize("COVID-19")).isEqualTo("covid-00");
    // Arabic-Indic three and a supplementary-plane digit (MATHEMATICAL BOLD DIGIT SEVEN).
    assertThat(v.normalize("\u0663x\uD835\uDFD5")).isEqualTo("0x0");
    assertThat(v.id("The")).isEqualTo(2);
    assertThat(v.id("THE")).isEqualTo(2);
    assertThat(v.id("2024")).isEqualTo(3);
    assertThat(v.id("École")).isEqualTo(4);
    assertThat(v.id("3.14")).isEqualTo(5);
    assertThat(v.id("COVID-19")).isEqualTo(6);
    assertThat(v.id("unseen")).isEqualTo(v.unknownId()).isEqualTo(1);
    assertThat(v.size()).isEqualTo(7);
    assertThat(v.token(4)).isEqualTo("école");
  }

  @Test
  void lookingUpAsciiTokensAllocatesNothing() throws IOException {
    // The tagger looks up every token; capitalised and numeric tokens must not cost a String.
    Vocabulary v = vocab(BOTH, "<pad>", "<unk>", "the", "0000", "u.s.", "covid-00");
    String[] tokens = {"The", "THE", "1984", "U.S.", "COVID-19", "Zebra", "the", "x"};
    int[] expected = {2, 2, 3, 4, 5, 1, 2, 1};
    var threads =
        (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
    long sum = 0;
    for (int round = 0; round < 20_000; round++) { // warm up: JIT, escape analysis
      for (String t : tokens) {
        sum += v.id(t);
      }
    }
    long before = threads.getCurrentThreadAllocatedBytes();
    for (int round = 0; round < 100_000; round++) {
      for (String t : tokens) {
        sum += v.id(t);
      }
    }
    long allocated = threads.getCurrentThreadAllocatedBytes() - before;
    System.out.printf(
        "Vocabulary.id: %.3f bytes allocated per lookup%n",
        allocated / (100_000.0 * tokens.length));
    assertThat(sum).isPositive();
    for (int i = 0; i < tokens.length; i++) {
      assertThat(v.id(tokens[i])).as(tokens[i]).isEqualTo(expected[i]);
    }
    // A few hundred bytes of measurement noise at most; a String per token would be ~30 MB.
    assertThat(allocated).isLessThan(4096);
  }

  @Test
  void unknownTokensMapToTheirClassWhenTheVocabularyHasIt() throws IOException {
    Path file = tmp.resolve("classes.txt");
    Files.write(
        file,
        List.of("<pad>", "<unk>", "<unk:cap>", "<unk:lower:-ing>", "<unk:num>", "the", "école"),
        StandardCharsets.UTF_8);
    Vocabulary v = Vocabulary.load(file, BOTH, 1, 0, true);
    assertThat(v.id("The")).isEqualTo(5);
    assertThat(v.id("Zebedee")).isEqualTo(2);
    assertThat(v.id("frobbing")).isEqualTo(3);
    assertThat(v.id("Frobbing")).as("<unk:cap:-ing> is not in the file").isEqualTo(1);
    assertThat(v.id("1984")).as("0000 is not in the file either").isEqualTo(4);
    assertThat(v.id("ÉCOLE")).isEqualTo(6);
    assertThat(v.id("Émile")).as("non-ASCII unknown word").isEqualTo(2);
    assertThat(v.id("zebra")).as("<unk:lower> is not in the file").isEqualTo(1);

    Vocabulary without = Vocabulary.load(file, BOTH, 1, 0, false);
    assertThat(without.id("Zebedee")).isEqualTo(1);
    assertThat(without.id("frobbing")).isEqualTo(1);
  }

  @Test
  void classifyingUnknownAsciiTokensAllocatesNothing() throws IOException {
    Path file = tmp.resolve("classes.txt");
    Files.write(file, List.of("<pad>", "<unk>", "<unk:cap>", "the"), StandardCharsets.UTF_8);
    Vocabulary v = Vocabulary.load(file, BOTH, 1, 0, true);
    String[] tokens = {"Zebedee", "frobbing", "B52", "http://x.y", "well-known", "The"};
    var threads =
        (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
    long sum = 0;
    for (int round = 0; round < 20_000; round++) {
      for (String t : tokens) {
        sum += v.id(t);
      }
    }
    long before = threads.getCurrentThreadAllocatedBytes();
    for (int round = 0; round < 100_000; round++) {
      for (String t : tokens) {
        sum += v.id(t);
      }
    }
    long allocated = threads.getCurrentThreadAllocatedBytes() - before;
    assertThat(sum).isPositive();
    assertThat(allocated).isLessThan(4096);
  }

  @Test
  void normalizedTokensAreReturnedAsTheSameInstance() throws IOException {
    Vocabulary v = vocab(BOTH, "<pad>", "<unk>", "the");
    String already = new String("the-0.0,école".toCharArray());
    assertThat(v.normalize(already)).isSameAs(already);
  }

  @Test
  void onlyTheListedStepsApply() throws IOException {
    Vocabulary lower = vocab(List.of(Normalization.LOWERCASE), "<pad>", "<unk>", "a1");
    assertThat(lower.normalize("A1")).isEqualTo("a1");
    Vocabulary digits = vocab(List.of(Normalization.DIGITS), "<pad>", "<unk>", "A0");
    assertThat(digits.normalize("A1")).isEqualTo("A0");
    assertThat(digits.id("A7")).isEqualTo(2);
    assertThat(digits.id("a7")).isEqualTo(1);
    Vocabulary none = vocab(List.of(), "<pad>", "<unk>", "A1");
    assertThat(none.id("A1")).isEqualTo(2);
  }

  @Test
  void rejectsDuplicateAndUnnormalizedTokens() throws IOException {
    assertThatThrownBy(() -> vocab(BOTH, "<pad>", "<unk>", "a", "b", "a"))
        .isInstanceOf(ModelPackageException.class)
        .hasMessageContaining("lines 3 and 5 both hold 'a'");
    assertThatThrownBy(() -> vocab(BOTH, "<pad>", "<unk>", "Paris"))
        .isInstanceOf(ModelPackageException.class)
        .hasMessageContaining("line 3 'Paris' is not normalized (it becomes 'paris'");
  }

  @Test
  void rejectsIdsOutsideTheFile() throws IOException {
    Path file = tmp.resolve("v.txt");
    Files.write(file, List.of("<pad>"), StandardCharsets.UTF_8);
    assertThatThrownBy(() -> Vocabulary.load(file, BOTH, 1, 0))
        .isInstanceOf(ModelPackageException.class)
        .hasMessageContaining("unknownId=1 is outside");
  }

  @Test
  void committedVocabularyHasPadAndUnkFirst() {
    RecurrentModelManifest m =
        RecurrentModelManifest.read(TestModels.get("test-gru").resolve("manifest.json"));
    Vocabulary v = m.vocabulary().load(TestModels.get("test-gru"));
    assertThat(v.size()).isEqualTo(2000);
    assertThat(v.token(0)).isEqualTo("<pad>");
    assertThat(v.token(1)).isEqualTo("<unk>");
    assertThat(v.id("The")).isEqualTo(v.id("the")).isNotEqualTo(1);
  }
}
