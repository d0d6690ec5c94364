package dev.rillet.jobs.eval;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

class ConlluTest {
  /** Two documents; contractions as multiword tokens, punctuation, an empty node. */
  static final List<String> SNIPPET =
      List.of(
          "# newdoc id = doc-a",
          "# sent_id = a-1",
          "# text = I don't know, Mr. Smith.",
          "1\tI\tI\tPRON\tPRP\t_\t4\tnsubj\t_\t_",
          "2-3\tdon't\t_\t_\t_\t_\t_\t_\t_\t_",
          "2\tdo\tdo\tAUX\tVBP\t_\t4\taux\t_\t_",
          "3\tn't\tnot\tPART\tRB\t_\t4\tadvmod\t_\t_",
          "4\tknow\tknow\tVERB\tVB\t_\t0\troot\t_\tSpaceAfter=No",
          "5\t,\t,\tPUNCT\t,\t_\t4\tpunct\t_\t_",
          "6\tMr.\tMr.\tPROPN\tNNP\t_\t4\tobj\t_\t_",
          "7\tSmith\tSmith\tPROPN\tNNP\t_\t6\tflat\t_\tSpaceAfter=No",
          "8\t.\t.\tPUNCT\t.\t_\t4\tpunct\t_\t_",
          "",
          "# sent_id = a-2",
          "# text = We can't,  gonna go.",
          "1\tWe\twe\tPRON\tPRP\t_\t2\tnsubj\t_\t_",
          "2-3\tcan't\t_\t_\t_\t_\t_\t_\t_\tSpaceAfter=No",
          "2\tca\tcan\tAUX\tMD\t_\t0\troot\t_\t_",
          "3\tn't\tnot\tPART\tRB\t_\t2\tadvmod\t_\t_",
          "4\t,\t,\tPUNCT\t,\t_\t2\tpunct\t_\t_",
          "4.1\tgo\tgo\tVERB\tVB\t_\t_\t_\t_\t_",
          "5-6\tgonna\t_\t_\t_\t_\t_\t_\t_\t_",
          "5\tgon\tgo\tVERB\tVBG\t_\t2\tconj\t_\t_",
          "6\tna\tto\tPART\tTO\t_\t7\tmark\t_\t_",
          "7\tgo\tgo\tVERB\tVB\t_\t5\txcomp\t_\tSpaceAfter=No",
          "8\t.\t.\tPUNCT\t.\t_\t2\tpunct\t_\t_",
          "",
          "# newdoc id = doc-b",
          "# sent_id = b-1",
          "# text = Wo n't fit :)",
          "1\tWo\twill\tAUX\tMD\t_\t3\taux\t_\t_",
          "2\tn't\tnot\tPART\tRB\t_\t3\tadvmod\t_\t_",
          "3\tfit\tfit\tVERB\tVB\t_\t0\troot\t_\t_",
          "4\t:-)\t:-)\tSYM\tNFP\t_\t3\tdiscourse\t_\t_",
          "");

  @Test
  void readsDocumentsSentencesAndTextsInOrder() {
    List<UdDocument> docs = Conllu.parse(SNIPPET);
    assertThat(docs).extracting(UdDocument::id).containsExactly("doc-a", "doc-b");
    assertThat(docs.get(0).sentences()).extracting(UdSentence::id).containsExactly("a-1", "a-2");
    assertThat(docs.get(0).sentences().get(1).text()).isEqualTo("We can't,  gonna go.");
    assertThat(docs.get(1).sentences().get(0).documentId()).isEqualTo("doc-b");
  }

  @Test
  void syntacticWordsGetOffsetsAndMultiwordTokensAreSplitByTheirForms() {
    UdSentence s = Conllu.parse(SNIPPET).get(0).sentences().get(0);
    assertThat(s.words())
        .extracting(w -> w.form() + "/" + w.upos() + "@" + w.begin() + "-" + w.end())
        .containsExactly(
            "I/PRON@0-1",
            "do/AUX@2-4",
            "n't/PART@4-7",
            "know/VERB@8-12",
            ",/PUNCT@12-13",
            "Mr./PROPN@14-17",
            "Smith/PROPN@18-23",
            "./PUNCT@23-24");
    for (GoldWord w : s.words()) {
      assertThat(s.text().substring(w.begin(), w.end())).isEqualTo(w.form());
    }
  }

  @Test
  void emptyNodesAreSkippedAndExtraSpacesWalkedOver() {
    UdSentence s = Conllu.parse(SNIPPET).get(0).sentences().get(1);
    assertThat(s.words())
        .extracting(w -> w.form() + "@" + w.begin() + "-" + w.end())
        .containsExactly(
            "We@0-2", "ca@3-5", "n't@5-8", ",@8-9", "gon@11-14", "na@14-16", "go@17-19", ".@19-20");
  }

  @Test
  void aFormMissingFromTheTextIsUnlocatedAndTheWalkGoesOn() {
    UdSentence s = Conllu.parse(SNIPPET).get(1).sentences().get(0);
    assertThat(s.words())
        .extracting(w -> w.form() + "@" + w.begin() + "-" + w.end())
        .containsExactly("Wo@0-2", "n't@3-6", "fit@7-10", ":-)@-1--1");
    assertThat(s.words().get(3).located()).isFalse();
  }

  @Test
  void multiwordTokenWhoseLastWordDiffersTakesTheRestOfTheRange() {
    List<UdDocument> docs =
        Conllu.parse(
            List.of(
                "# text = Whaddya say",
                "1-3\tWhaddya\t_\t_\t_\t_\t_\t_\t_\t_",
                "1\tWha\twhat\tPRON\tWP\t_\t3\tobj\t_\t_",
                "2\tdd\tdo\tAUX\tVBP\t_\t3\taux\t_\t_",
                "3\tyou\tyou\tPRON\tPRP\t_\t4\tnsubj\t_\t_",
                "4\tsay\tsay\tVERB\tVB\t_\t0\troot\t_\t_",
                ""));
    UdSentence s = docs.get(0).sentences().get(0);
    assertThat(docs.get(0).id()).isEqualTo("line-1");
    assertThat(s.words())
        .extracting(w -> w.form() + "@" + w.begin() + "-" + w.end())
        .containsExactly("Wha@0-3", "dd@3-5", "you@5-7", "say@8-11");
  }

  @Test
  void aSentenceWithoutTextIsRejectedWithItsLine() {
    assertThatThrownBy(
            () ->
                Conllu.parse(List.of("# sent_id = x", "1\tHi\thi\tINTJ\tUH\t_\t0\troot\t_\t_", "")))
        .hasMessageContaining("sentence at line 1 has no '# text = ' line");
  }
}
