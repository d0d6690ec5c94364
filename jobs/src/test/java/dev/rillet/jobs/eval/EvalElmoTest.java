package dev.rillet.jobs.eval;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.rillet.avro.SentenceAnalysis;
import dev.rillet.avro.SentenceToken;
import dev.rillet.elmo.runtime.ElmoHeads;
import dev.rillet.elmo.runtime.ElmoLayers;
import dev.rillet.elmo.runtime.ElmoModel;
import dev.rillet.elmo.runtime.SentimentHead;
import dev.rillet.elmo.runtime.SharedElmo;
import dev.rillet.jobs.pipeline.SentenceOptions;
import dev.rillet.jobs.pipeline.SentenceStage;
import dev.rillet.onnx.SharedCache;
import dev.rillet.testutils.ElmoFixture;
import dev.rillet.testutils.TestModels;
import dev.rillet.tokenize.Token;
import dev.rillet.tokenize.WordTokenizer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.flink.configuration.Configuration;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code rillet eval} with the ELMo sentence stage, on a hand-made data folder, the AllenNLP
 * fixture biLM and the random test heads (needs RILLET_DATA for the fixture): the report's rows per
 * model, counts, differences and JSON; every analysis equal to ELMo + heads run directly on its
 * tokens; the UPOS figures equal to scoring those direct predictions; the SST split rule.
 */
class EvalElmoTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Path HEADS = TestModels.get("test-elmo-heads");
  private static final Path GRU = TestModels.get("test-gru");

  /** Split by the segmenter at "!": parts of 3 and 8 tokens. */
  private static final String SPLIT_SST2 = "great fun ! i loved every minute of it .";

  /** Split by the segmenter at "?": parts of 6 and 2 tokens (the first is the longer). */
  private static final String SPLIT_SST5 = "what is this movie even about ? no idea";

  private static ElmoFixture fixture;

  @TempDir Path tmp;

  @BeforeAll
  static void requireFixture() {
    fixture = ElmoFixture.require();
  }

  /**
   * ConlluTest's snippet plus a document whose first sentence has no terminator, so the segmenter's
   * sentence spans two events (two gold sentences); SST-2 and SST-5 with one split sentence each.
   */
  private Path data() throws Exception {
    Path data = tmp.resolve("data");
    Files.createDirectories(data.resolve("ud-ewt"));
    Files.createDirectories(data.resolve("sst"));
    List<String> conllu = new ArrayList<>(ConlluTest.SNIPPET);
    conllu.addAll(
        List.of(
            "# newdoc id = doc-c",
            "# sent_id = c-1",
            "# text = Hello there",
            "1\tHello\thello\tINTJ\tUH\t_\t0\troot\t_\t_",
            "2\tthere\tthere\tADV\tRB\t_\t1\tadvmod\t_\t_",
            "",
            "# sent_id = c-2",
            "# text = See you.",
            "1\tSee\tsee\tVERB\tVB\t_\t0\troot\t_\t_",
            "2\tyou\tyou\tPRON\tPRP\t_\t1\tobj\t_\tSpaceAfter=No",
            "3\t.\t.\tPUNCT\t.\t_\t1\tpunct\t_\t_",
            ""));
    Files.write(data.resolve("ud-ewt/en_ewt-ud-test.conllu"), conllu);
    Files.write(
        data.resolve("sst/stsa.binary.test"),
        List.of("0 a dull , lifeless film .", "1 a wonderful movie .", "1 " + SPLIT_SST2));
    Files.write(
        data.resolve("sst/stsa.fine.test"),
        List.of(
            "0 a dull , lifeless film .",
            "2 " + SPLIT_SST5,
            "3 a good movie .",
            "4 a wonderful movie ."));
    return data;
  }

  private String[] elmoFlags() {
    return new String[] {
      "--elmo-options", fixture.options().toString(),
      "--elmo-weights", fixture.weights().toString(),
      "--elmo-heads", HEADS.toString()
    };
  }

  @Test
  void theCommandReportsRowsPerModelCountsAndDifferences() throws Exception {
    Path data = data();
    Path report = tmp.resolve("report.json");
    List<String> args =
        new ArrayList<>(
            List.of(
                "--model",
                GRU.toString(),
                "--data",
                data.toString(),
                "--report",
                report.toString()));
    args.addAll(List.of(elmoFlags()));
    EvalRun r = EvalRun.of(args);
    assertThat(r.code()).as(r.err()).isZero();
    assertThat(r.out())
        .containsPattern(
            "elmo     elmo-fixture/lm_weights\\.hdf5 \\+ test-elmo-heads +heads test-elmo-heads@1\\.0\\.0")
        .containsPattern("recurrent +upos +test +25 words ")
        .containsPattern("recurrent +sst2 +test +3 sentences ")
        .containsPattern("elmo-heads +upos +test +25 words ")
        .containsPattern("elmo-heads +sst2 +test +3 sentences ")
        .containsPattern("elmo-heads +sst5 +test +4 sentences ")
        .containsPattern("heads - recurrent: upos [+-]\\d+\\.\\d\\d, sst2 [+-]\\d+\\.\\d\\d points")
        .doesNotContainPattern("(?i)issue \\d")
        .contains("UPOS (ELMo heads)")
        .contains("SST-5 (ELMo heads)")
        .contains("gold v.pos")
        .contains("2 SST sentences were split by the segmenter");
    // The recurrent model has no SST-5 row.
    assertThat(r.out()).doesNotContainPattern("recurrent +sst5");
    assertThat(r.err()).doesNotContain("note:");

    JsonNode json = JSON.readTree(report.toFile());
    JsonNode rec = json.get("tasks");
    JsonNode heads = json.get("elmo").get("tasks");
    assertThat(heads.get("upos").get("words").asInt()).isEqualTo(25);
    assertThat(heads.get("upos").get("sentences").asInt()).isEqualTo(5);
    assertThat(heads.get("upos").get("missingSentences").asInt()).isZero();
    // Same tokenizer as the recurrent run: only ":-)" (":)" in the text) cannot align.
    assertThat(heads.get("upos").get("alignedWords").asInt()).isEqualTo(24);
    assertThat(rec.get("upos").get("alignedWords").asInt()).isEqualTo(24);
    assertThat(heads.get("sst2").get("sentences").asInt()).isEqualTo(3);
    assertThat(heads.get("sst2").get("missing").asInt()).isZero();
    JsonNode sst5 = heads.get("sst5");
    assertThat(sst5.get("sentences").asInt()).isEqualTo(4);
    assertThat(sst5.get("missing").asInt()).isZero();
    long inMatrix = 0;
    long diagonal = 0;
    for (int g = 0; g < 5; g++) {
      for (int p = 0; p < 5; p++) {
        inMatrix += sst5.get("confusion").get(g).get(p).asLong();
        diagonal += g == p ? sst5.get("confusion").get(g).get(p).asLong() : 0;
      }
    }
    assertThat(inMatrix).isEqualTo(4);
    assertThat(sst5.get("correct").asLong()).isEqualTo(diagonal);
    assertThat(json.get("elmo").get("splitSstSentences").asInt()).isEqualTo(2);
    assertThat(json.get("headsMinusRecurrentPoints").get("upos").asDouble())
        .isCloseTo(
            100
                * (heads.get("upos").get("accuracy").asDouble()
                    - rec.get("upos").get("accuracy").asDouble()),
            within(1e-9));
    assertThat(json.get("headsMinusRecurrentPoints").get("sst2").asDouble())
        .isCloseTo(
            100
                * (heads.get("sst2").get("accuracy").asDouble()
                    - rec.get("sst2").get("accuracy").asDouble()),
            within(1e-9));
    // Two ELMo runs: UPOS + SST-2 (3 documents' 5 events + 3 SST streams), then SST-5 (4 streams).
    assertThat(json.get("elmo").get("runs")).hasSize(2);
    assertThat(json.get("elmo").get("runs").get(0).get("events").asInt()).isEqualTo(5 + 3);
    assertThat(json.get("elmo").get("runs").get(1).get("events").asInt()).isEqualTo(4);
  }

  /** Tags, tag probabilities and sentiment of ELMo + heads run directly on one token list. */
  private record Direct(List<String> tags, float[] probabilities, float[] sentiment) {}

  private static Direct direct(ElmoModel elmo, ElmoHeads heads, List<String> words)
      throws Exception {
    List<ElmoLayers> layers = elmo.embed(List.of(words));
    int[][] tags = new int[1][];
    float[][] p = new float[1][];
    float[][] s = new float[1][];
    heads.run(List.of(words), layers, tags, p, s);
    List<String> names = new ArrayList<>();
    for (int t : tags[0]) {
      names.add(heads.tagLabels().get(t));
    }
    return new Direct(names, p[0], s[0]);
  }

  private static List<String> words(SentenceAnalysis a) {
    return a.getTokens().stream().map(SentenceToken::getToken).toList();
  }

  @Test
  void everyAnalysisEqualsADirectRunAndTheScoresAreTheDirectPredictionsScored() throws Exception {
    Path data = data();
    Configuration conf = new Configuration();
    conf.set(SentenceOptions.ELMO_OPTIONS, fixture.options().toString());
    conf.set(SentenceOptions.ELMO_WEIGHTS, fixture.weights().toString());
    conf.set(SentenceOptions.ELMO_HEADS, HEADS.toString());
    // Small batches: several ELMo calls with mixed sentences.
    conf.set(SentenceOptions.ELMO_MAX_BATCH_SIZE, 2);
    Evaluation.Settings settings =
        new Evaluation.Settings(data, Evaluation.Split.TEST, EnumSet.allOf(EvalTask.class), 0, 0);
    Evaluation.Data gold = Evaluation.Data.read(settings, true);
    SentenceStage stage2 = SentenceStage.resolve(EvalCommand.stageConf(conf, SentimentHead.SST2));
    SentenceStage stage5 = SentenceStage.resolve(EvalCommand.stageConf(conf, SentimentHead.SST5));
    ElmoEvaluation.Result result;
    try (SharedCache.Lease<SharedElmo.Stack> l2 = stage2.check();
        SharedCache.Lease<SharedElmo.Stack> l5 = stage5.check()) {
      result =
          ElmoEvaluation.run(
              conf,
              GRU,
              new ElmoEvaluation.Stage(stage2, l2.get().heads()),
              new ElmoEvaluation.Stage(stage5, l5.get().heads()),
              gold);
    }

    try (ElmoModel elmo =
            ElmoModel.builder().convert(fixture.options(), fixture.weights()).build();
        ElmoHeads heads2 = ElmoHeads.load(HEADS, 1);
        ElmoHeads heads5 = ElmoHeads.load(HEADS, 1, SentimentHead.SST5)) {
      // (stream, seq, begin) -> the directly computed tag of that token.
      Map<String, String> directTags = new HashMap<>();
      for (SentenceAnalysis a : result.predictions().analyses()) {
        Direct d = direct(elmo, heads2, words(a));
        List<SentenceToken> tokens = a.getTokens();
        for (int i = 0; i < tokens.size(); i++) {
          SentenceToken t = tokens.get(i);
          assertThat(t.getTag()).as(a.getStreamId() + " token " + i).isEqualTo(d.tags().get(i));
          assertThat(t.getProbability()).isCloseTo(d.probabilities()[i], within(1e-6f));
          directTags.put(a.getStreamId() + "#" + t.getSeq() + "#" + t.getBegin(), d.tags().get(i));
        }
        assertThat(a.getSentimentProbabilities().get("negative"))
            .isCloseTo(d.sentiment()[0], within(1e-6f));
        assertThat(a.getSentimentProbabilities().get("positive"))
            .isCloseTo(d.sentiment()[1], within(1e-6f));
      }
      // The segmenter joined doc-c's two events into one sentence.
      assertThat(result.predictions().analyses())
          .filteredOn(a -> a.getStreamId().equals("ewt:doc-c"))
          .singleElement()
          .satisfies(a -> assertThat(a.getLastSeq()).isEqualTo(a.getFirstSeq() + 1));

      // UPOS: the tokenizer's tokens of each gold sentence with the direct tags, scored anew.
      WordTokenizer tokenizer = new WordTokenizer();
      Map<String, List<PredictedToken>> expected = new HashMap<>();
      List<UdSentence> sentences = new ArrayList<>();
      for (UdDocument doc : gold.documents()) {
        for (int seq = 0; seq < doc.sentences().size(); seq++) {
          UdSentence s = doc.sentences().get(seq);
          sentences.add(s);
          List<PredictedToken> tokens = new ArrayList<>();
          for (Token t : tokenizer.tokenize(s.text())) {
            String tag = directTags.get("ewt:" + doc.id() + "#" + seq + "#" + t.begin());
            assertThat(tag).as(s.id() + " " + t.text()).isNotNull();
            tokens.add(new PredictedToken(t.text(), t.begin(), t.end(), tag));
          }
          expected.put(s.id(), tokens);
        }
      }
      assertThat(result.upos()).isEqualTo(UposEvaluation.score(sentences, expected));

      // SST-2: the split sentence is scored on its longer part ("i loved every minute of it .").
      SstSentence split2 = gold.sst2().get(2);
      SentenceAnalysis chosen = result.predictions().sstAnalyses().get(split2.id());
      assertThat(words(chosen)).containsExactly("i", "loved", "every", "minute", "of", "it", ".");
      Direct d2 = direct(elmo, heads2, words(chosen));
      assertThat(result.sst2Predictions().get(split2.id()))
          .isEqualTo(d2.sentiment()[1] > d2.sentiment()[0] ? 1 : 0);
      long correct2 = 0;
      for (SstSentence s : gold.sst2()) {
        Direct d = direct(elmo, heads2, words(result.predictions().sstAnalyses().get(s.id())));
        correct2 += (d.sentiment()[1] > d.sentiment()[0] ? 1 : 0) == s.label() ? 1 : 0;
      }
      assertThat(result.sst2().correct()).isEqualTo(correct2);

      // SST-5: argmax of the 5-class head on the chosen part, here the first (longer) one.
      SstSentence split5 = gold.sst5().get(1);
      SentenceAnalysis chosen5 = result.predictions5().sstAnalyses().get(split5.id());
      assertThat(words(chosen5))
          .containsExactly("what", "is", "this", "movie", "even", "about", "?");
      assertThat(chosen5.getSentimentProbabilities()).hasSize(5);
      long correct5 = 0;
      for (SstSentence s : gold.sst5()) {
        SentenceAnalysis a = result.predictions5().sstAnalyses().get(s.id());
        Direct d = direct(elmo, heads5, words(a));
        for (int k = 0; k < 5; k++) {
          assertThat(a.getSentimentProbabilities().get(heads5.sentimentLabels().get(k)))
              .isCloseTo(d.sentiment()[k], within(1e-6f));
        }
        int predicted = ElmoEvaluation.argmax(d.sentiment());
        assertThat(result.sst5Predictions().get(s.id())).isEqualTo(predicted);
        correct5 += predicted == s.label() ? 1 : 0;
      }
      assertThat(result.sst5().correct()).isEqualTo(correct5);
      assertThat(result.splitSstSentences()).isEqualTo(2);
    }
  }

  @Test
  void headsWithoutAFiveClassHeadSkipSst5WithANoteOrFailWhenItIsTheOnlyTask() throws Exception {
    Path data = data();
    Path binaryOnly = TestModels.copy(HEADS, tmp.resolve("binary-heads"));
    ObjectNode manifest = (ObjectNode) JSON.readTree(binaryOnly.resolve("manifest.json").toFile());
    manifest.remove("sentiment5Labels");
    JSON.writeValue(binaryOnly.resolve("manifest.json").toFile(), manifest);
    List<String> base =
        List.of(
            "--model", GRU.toString(),
            "--data", data.toString(),
            "--elmo-options", fixture.options().toString(),
            "--elmo-weights", fixture.weights().toString(),
            "--elmo-heads", binaryOnly.toString());

    List<String> both = new ArrayList<>(base);
    both.addAll(List.of("--tasks", "sst2,sst5"));
    EvalRun r = EvalRun.of(both);
    assertThat(r.code()).as(r.err()).isZero();
    assertThat(r.err()).contains("have no 5-class sentiment head (sentiment5Labels): sst5 skipped");
    assertThat(r.out())
        .containsPattern("elmo-heads +sst2 +test +3 sentences")
        .doesNotContainPattern("(recurrent|elmo-heads) +(sst5|upos) ")
        .doesNotContain("SST-5");

    List<String> only = new ArrayList<>(base);
    only.addAll(List.of("--tasks", "sst5"));
    EvalRun fail = EvalRun.of(only);
    assertThat(fail.code()).isEqualTo(2);
    assertThat(fail.err()).contains("--tasks sst5").contains("no 5-class sentiment head");
  }
}
