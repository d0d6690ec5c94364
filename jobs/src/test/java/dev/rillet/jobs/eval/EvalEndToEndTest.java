package dev.rillet.jobs.eval;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import dev.rillet.jobs.pipeline.PipelineOptions;
import dev.rillet.onnx.RecurrentModelPackage;
import dev.rillet.testutils.SequenceReference;
import dev.rillet.testutils.TestData;
import dev.rillet.testutils.TestModels;
import dev.rillet.tokenize.Token;
import dev.rillet.tokenize.WordTokenizer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import org.apache.flink.configuration.Configuration;
import org.junit.jupiter.api.Test;

/**
 * The evaluation of models/demo-gru on a slice of the real test data (20 EWT documents, 50 SST-2
 * sentences): sane figures, the same figures whatever the bundling, and per-sentence outputs equal
 * to a direct whole-sequence ONNX run. Needs RILLET_DATA.
 */
class EvalEndToEndTest {
  private static final Path MODEL = TestModels.get("demo-gru");

  private static Evaluation.Result evaluate(Path data, int bundle, int batch) throws Exception {
    Configuration conf = new Configuration();
    conf.set(PipelineOptions.MAX_BUNDLE_TOKENS, bundle);
    conf.set(PipelineOptions.MAX_BATCH_SIZE, batch);
    return Evaluation.run(
        conf,
        MODEL,
        new Evaluation.Settings(
            data, Evaluation.Split.TEST, EnumSet.allOf(EvalTask.class), 20, 50));
  }

  @Test
  void sliceOfTheTestDataGivesSaneDeterministicFiguresEqualToADirectOnnxRun() throws Exception {
    Path data = TestData.require();
    Evaluation.Result a = evaluate(data, 256, 64);
    // Tiny bundles and batches: other flush points and batch compositions, same outputs.
    Evaluation.Result b = evaluate(data, 7, 3);

    UposScore upos = a.upos();
    assertThat(a.documents()).hasSize(20);
    assertThat(upos.sentences())
        .isEqualTo(a.documents().stream().mapToInt(d -> d.sentences().size()).sum());
    assertThat(upos.missingSentences()).isZero();
    assertThat(upos.words()).isGreaterThan(1000);
    // The tokenizer follows EWT's word splitting; the demo model tags most words right.
    assertThat(upos.coverage()).isBetween(0.97, 1.0);
    assertThat(upos.accuracy()).isBetween(0.75, upos.coverage());
    assertThat(upos.correctWords()).isLessThanOrEqualTo(upos.alignedWords());
    SentimentScore sst = a.sst2();
    assertThat(sst.sentences()).isEqualTo(50);
    assertThat(sst.missing()).isZero();
    assertThat(sst.accuracy()).isBetween(0.6, 1.0);

    assertThat(b.upos()).isEqualTo(upos);
    assertThat(b.sst2().correct()).isEqualTo(sst.correct());
    assertThat(b.sst2().confusion()).isDeepEqualTo(sst.confusion());
    assertThat(b.sentimentPredictions()).isEqualTo(a.sentimentPredictions());

    try (OrtSession.SessionOptions options = new OrtSession.SessionOptions();
        RecurrentModelPackage model =
            RecurrentModelPackage.load(MODEL, OrtEnvironment.getEnvironment(), options)) {
      WordTokenizer tokenizer = new WordTokenizer();
      // A few documents: the tokens are the tokenizer's, the tags those of one [1,T] call over the
      // whole document, state carried across its sentences.
      for (UdDocument d :
          List.of(a.documents().get(0), a.documents().get(7), a.documents().get(19))) {
        List<String> tokens = new ArrayList<>();
        List<PredictedToken> predicted = new ArrayList<>();
        for (UdSentence s : d.sentences()) {
          List<PredictedToken> p = a.predictions().tokensBySentence().get(s.id());
          List<Token> expected = tokenizer.tokenize(s.text());
          assertThat(p)
              .extracting(PredictedToken::text)
              .containsExactlyElementsOf(expected.stream().map(Token::text).toList());
          assertThat(p)
              .extracting(PredictedToken::begin)
              .containsExactlyElementsOf(expected.stream().map(Token::begin).toList());
          tokens.addAll(expected.stream().map(Token::text).toList());
          predicted.addAll(p);
        }
        SequenceReference ref = SequenceReference.run(model, tokens);
        for (int i = 0; i < tokens.size(); i++) {
          String tag = model.tagLabels().get(SequenceReference.argmax(ref.tagLogits[i]));
          assertThat(predicted.get(i).tag()).as(d.id() + " token " + i).isEqualTo(tag);
        }
      }
      // A few SST sentences: the probabilities after the last token of a fresh stream.
      for (SstSentence s : a.sstSentences().subList(0, 5)) {
        List<String> tokens = tokenizer.tokenize(s.text()).stream().map(Token::text).toList();
        SequenceReference ref = SequenceReference.run(model, tokens);
        float[] want = SequenceReference.softmax(ref.sentimentLogits[tokens.size() - 1]);
        float[] got = a.predictions().sentimentBySentence().get(s.id());
        assertThat(got).as(s.id()).containsExactly(want, within(1e-5f));
        assertThat(a.sentimentPredictions().get(s.id()))
            .isEqualTo(want[1] > want[0] ? 1 : 0); // demo-gru labels: negative, positive
      }
    }
  }

  @Test
  void theCommandPrintsTheSameFiguresAndSaysTheModelIsADemo() throws Exception {
    Path data = TestData.require();
    Evaluation.Result direct = evaluate(data, 256, 64);
    EvalRun r =
        EvalRun.of(
            "--model",
            MODEL.toString(),
            "--data",
            data.toString(),
            "--limit",
            "20",
            "--tasks",
            "upos");
    assertThat(r.code()).as(r.err()).isZero();
    // The same figures as scoring the same data directly, and the demo model named as such.
    assertThat(r.out())
        .contains("model    demo-gru@0.2.1 (purpose: demo)")
        .contains(
            String.format(
                java.util.Locale.ROOT,
                "%8d %-10s %9.4f %9.4f",
                direct.upos().words(),
                "words",
                direct.upos().accuracy(),
                direct.upos().coverage()));
    assertThat(r.err()).contains("demo-gru@0.2.1 is a small demo model");
  }
}
