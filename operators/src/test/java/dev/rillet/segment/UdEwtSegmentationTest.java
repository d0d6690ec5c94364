package dev.rillet.segment;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rillet.testutils.TestData;
import dev.rillet.tokenize.WordTokenizer;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * Token and sentence-boundary F1 of {@link WordTokenizer} and {@link SentenceSegmenter} on the UD
 * English EWT test split (needs RILLET_DATA).
 *
 * <p>Gold tokens are the surface tokens: a multiword token (range line such as {@code 3-4 don't})
 * counts as its surface form, and the words it covers are skipped. Tokens match by character span.
 * For sentences, each document (from one {@code # newdoc} line to the next) is one stream whose
 * events hold {@value #SENTENCES_PER_EVENT} consecutive sentence texts joined by a space; a
 * predicted sentence end is correct when it lies at the document position of a gold sentence end.
 */
class UdEwtSegmentationTest {
  private static final int SENTENCES_PER_EVENT = 3;
  private static final double MIN_TOKEN_F1 = 0.97;
  private static final double MIN_SENTENCE_F1 = 0.85;

  /** One gold sentence: its text and the spans of its surface tokens. */
  record GoldSentence(boolean newDoc, String text, List<String> forms) {}

  static List<GoldSentence> read(Path file) throws IOException {
    List<GoldSentence> out = new ArrayList<>();
    boolean newDoc = false;
    String text = null;
    List<String> forms = new ArrayList<>();
    int skipUntil = 0;
    for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
      if (line.isEmpty()) {
        if (text != null) {
          out.add(new GoldSentence(newDoc, text, forms));
        }
        newDoc = false;
        text = null;
        forms = new ArrayList<>();
        skipUntil = 0;
      } else if (line.startsWith("# newdoc")) {
        newDoc = true;
      } else if (line.startsWith("# text = ")) {
        text = line.substring("# text = ".length());
      } else if (!line.startsWith("#")) {
        String[] cols = line.split("\t", -1);
        String id = cols[0];
        if (id.contains(".")) {
          continue; // empty node: no surface token
        }
        int dash = id.indexOf('-');
        if (dash > 0) {
          forms.add(cols[1]);
          skipUntil = Integer.parseInt(id.substring(dash + 1));
        } else if (Integer.parseInt(id) > skipUntil) {
          forms.add(cols[1]);
        }
      }
    }
    if (text != null) {
      out.add(new GoldSentence(newDoc, text, forms));
    }
    return out;
  }

  /** Gold spans (begin * 2^20 + end) by finding each form, in order, in the text. */
  static Set<Long> goldSpans(GoldSentence s) {
    Set<Long> spans = new HashSet<>();
    int cursor = 0;
    for (String form : s.forms()) {
      int at = s.text().indexOf(form, cursor);
      assertThat(at).as("form %s in %s", form, s.text()).isGreaterThanOrEqualTo(0);
      spans.add(span(at, at + form.length()));
      cursor = at + form.length();
    }
    return spans;
  }

  private static long span(long begin, long end) {
    return (begin << 20) | end;
  }

  private static final boolean DEBUG = System.getenv("RILLET_UD_DEBUG") != null;

  private static String around(String s, int at) {
    return s.substring(Math.max(0, at - 40), at)
        + " || "
        + s.substring(at, Math.min(s.length(), at + 30));
  }

  private static double f1(long correct, long predicted, long gold) {
    double p = predicted == 0 ? 0 : (double) correct / predicted;
    double r = gold == 0 ? 0 : (double) correct / gold;
    return p + r == 0 ? 0 : 2 * p * r / (p + r);
  }

  @Test
  void tokenAndSentenceF1OnEwtTest() throws IOException {
    // RILLET_UD_SPLIT=dev evaluates on the dev split instead (for tuning; report figures on test).
    String split = System.getenv().getOrDefault("RILLET_UD_SPLIT", "test");
    Path file = TestData.require().resolve("ud-ewt/en_ewt-ud-" + split + ".conllu");
    List<GoldSentence> sentences = read(file);
    assertThat(sentences).hasSizeGreaterThan(2000);

    WordTokenizer tokenizer = new WordTokenizer();
    long goldTokens = 0;
    long predictedTokens = 0;
    long correctTokens = 0;
    for (GoldSentence s : sentences) {
      Set<Long> gold = goldSpans(s);
      goldTokens += gold.size();
      for (var t : tokenizer.tokenize(s.text())) {
        predictedTokens++;
        if (gold.contains(span(t.begin(), t.end()))) {
          correctTokens++;
        } else if (DEBUG) {
          System.out.println("TOKEN " + t.text() + " IN " + s.text());
        }
      }
    }
    double tokenF1 = f1(correctTokens, predictedTokens, goldTokens);

    long[] counts = new long[3]; // correct, predicted, gold
    List<GoldSentence> doc = new ArrayList<>();
    for (GoldSentence s : sentences) {
      if (s.newDoc() && !doc.isEmpty()) {
        scoreDocument(tokenizer, doc, counts);
        doc.clear();
      }
      doc.add(s);
    }
    scoreDocument(tokenizer, doc, counts);
    double sentenceF1 = f1(counts[0], counts[1], counts[2]);

    System.out.printf(
        "UD EWT %s: token F1 %.4f (%d gold, %d predicted, %d correct); "
            + "sentence-boundary F1 %.4f (%d gold, %d predicted, %d correct)%n",
        split,
        tokenF1,
        goldTokens,
        predictedTokens,
        correctTokens,
        sentenceF1,
        counts[2],
        counts[1],
        counts[0]);
    assertThat(tokenF1).isGreaterThanOrEqualTo(MIN_TOKEN_F1);
    assertThat(sentenceF1).isGreaterThanOrEqualTo(MIN_SENTENCE_F1);
  }

  /** Streams one document through a fresh segmenter state and counts boundary matches. */
  private static void scoreDocument(
      WordTokenizer tokenizer, List<GoldSentence> doc, long[] counts) {
    SentenceSegmenter segmenter =
        new SentenceSegmenter(tokenizer, Duration.ofHours(1), 1000, Duration.ofDays(1));
    SegmenterState state = new SegmenterState();
    Set<Long> gold = new HashSet<>();
    Set<Long> predicted = new HashSet<>();
    long docOffset = 0;
    long lastTokenEnd = -1;
    List<String> docText = new ArrayList<>();
    for (int first = 0, seq = 0; first < doc.size(); first += SENTENCES_PER_EVENT, seq++) {
      int last = Math.min(first + SENTENCES_PER_EVENT, doc.size());
      StringBuilder text = new StringBuilder();
      for (int i = first; i < last; i++) {
        if (i > first) {
          text.append(' ');
        }
        text.append(doc.get(i).text());
        gold.add(docOffset + text.length());
      }
      SegmentedEvent out =
          segmenter.onEvent(state, "doc", seq, seq, text.toString(), last == doc.size());
      if (out.closedBefore != null) {
        predicted.add(lastTokenEnd);
      }
      for (SegmentedToken t : out.tokens) {
        lastTokenEnd = docOffset + t.end;
        if (t.sentenceEnd != null) {
          predicted.add(lastTokenEnd);
        }
      }
      docOffset += text.length() + 1;
      docText.add(text.toString());
    }
    if (DEBUG) {
      String all = String.join(" ", docText);
      for (long g : gold) {
        if (!predicted.contains(g)) {
          System.out.println("MISS " + around(all, (int) g));
        }
      }
      for (long p : predicted) {
        if (!gold.contains(p)) {
          System.out.println("FALSE " + around(all, (int) p));
        }
      }
    }
    long correct = predicted.stream().filter(gold::contains).count();
    counts[0] += correct;
    counts[1] += predicted.size();
    counts[2] += gold.size();
  }
}
