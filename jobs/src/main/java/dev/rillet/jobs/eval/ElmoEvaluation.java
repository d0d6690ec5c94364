package dev.rillet.jobs.eval;

import dev.rillet.avro.SentenceAnalysis;
import dev.rillet.elmo.runtime.ElmoHeads;
import dev.rillet.elmo.runtime.SentimentHead;
import dev.rillet.jobs.pipeline.SentenceStage;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.flink.configuration.Configuration;

/**
 * Scores the ELMo sentence stage (biLM + task heads, {@link SentenceStage}) on the same data and
 * through the same operators as the recurrent model, with the sentence stage after the tagger:
 *
 * <ul>
 *   <li>UPOS: the heads' revised tag of every token, mapped back to its gold sentence by (stream,
 *       seq), scored by {@link UposEvaluation} like the recurrent tags;
 *   <li>SST-2: the binary head's sentence sentiment ({@link SentimentLabels} maps the heads' labels
 *       to polarity), one stream per SST sentence; when the segmenter splits an SST sentence, its
 *       longest part is scored ({@link EvalPipeline#longest});
 *   <li>SST-5: in a separate run with the heads' 5-class head ({@link SentimentHead#SST5}), the
 *       argmax label, label k of {@code sentiment5Labels} being SST-5 class k (0 very negative .. 4
 *       very positive).
 * </ul>
 */
public final class ElmoEvaluation {
  private ElmoEvaluation() {}

  /**
   * The outcome.
   *
   * @param describe what ran (biLM + heads), for the report
   * @param headsId id@version of the heads
   * @param upos null when UPOS was not evaluated
   * @param sst2 null when SST-2 was not evaluated
   * @param sst5 null when SST-5 was not evaluated
   * @param sst2Predictions SST-2 sentence id -> predicted polarity
   * @param sst5Predictions SST-5 sentence id -> predicted class
   * @param predictions the UPOS + SST-2 run (null when neither was asked for)
   * @param predictions5 the SST-5 run (null when not run)
   */
  public record Result(
      String describe,
      String headsId,
      UposScore upos,
      SentimentScore sst2,
      SentimentScore sst5,
      Map<String, Integer> sst2Predictions,
      Map<String, Integer> sst5Predictions,
      EvalPipeline.SentencePredictions predictions,
      EvalPipeline.SentencePredictions predictions5) {

    /** SST sentences the segmenter split, over both runs. */
    public int splitSstSentences() {
      return (predictions == null ? 0 : predictions.splitSstSentences())
          + (predictions5 == null ? 0 : predictions5.splitSstSentences());
    }
  }

  /**
   * A sentence stage, checked ({@link SentenceStage#check}) and leased by the caller for the whole
   * evaluation, with the heads it loaded (for their labels and id).
   */
  public record Stage(SentenceStage stage, ElmoHeads heads) {}

  /**
   * Runs and scores the stage.
   *
   * @param conf pipeline and sentence-stage options
   * @param modelDir the recurrent model package that tags the tokens before the stage (checked)
   * @param binary the stage serving the binary sentiment head
   * @param fiveClass the stage serving the 5-class head; null to skip SST-5
   * @param data the gold data; its SST-5 list is scored only with {@code fiveClass}
   */
  public static Result run(
      Configuration conf, Path modelDir, Stage binary, Stage fiveClass, Evaluation.Data data)
      throws Exception {
    ElmoHeads heads = binary.heads();
    SentimentLabels labels =
        data.sst2().isEmpty() ? null : SentimentLabels.of(heads.sentimentLabels());
    UposScore upos = null;
    SentimentScore sst2 = null;
    Map<String, Integer> sst2Predictions = new HashMap<>();
    EvalPipeline.SentencePredictions predictions = null;
    if (!data.documents().isEmpty() || !data.sst2().isEmpty()) {
      predictions =
          EvalPipeline.runSentences(conf, modelDir, binary.stage(), data.documents(), data.sst2());
      if (!data.documents().isEmpty()) {
        UposEvaluation evaluation = new UposEvaluation();
        for (UdDocument d : data.documents()) {
          for (UdSentence s : d.sentences()) {
            evaluation.add(s, predictions.tokensBySentence().get(s.id()));
          }
        }
        upos = evaluation.score();
      }
      if (labels != null) {
        List<String> order = heads.sentimentLabels();
        predictions
            .sstAnalyses()
            .forEach((id, a) -> sst2Predictions.put(id, labels.predict(probabilities(a, order))));
        sst2 = SentimentEvaluation.score(data.sst2(), sst2Predictions);
      }
    }
    SentimentScore sst5 = null;
    Map<String, Integer> sst5Predictions = new HashMap<>();
    EvalPipeline.SentencePredictions predictions5 = null;
    if (fiveClass != null && !data.sst5().isEmpty()) {
      List<String> order = sst5Labels(fiveClass.heads());
      predictions5 =
          EvalPipeline.runSentences(conf, modelDir, fiveClass.stage(), List.of(), data.sst5());
      predictions5
          .sstAnalyses()
          .forEach((id, a) -> sst5Predictions.put(id, argmax(probabilities(a, order))));
      sst5 = SentimentEvaluation.score(data.sst5(), sst5Predictions, order.size());
    }
    return new Result(
        binary.stage().describe(),
        heads.id(),
        upos,
        sst2,
        sst5,
        Map.copyOf(sst2Predictions),
        Map.copyOf(sst5Predictions),
        predictions,
        predictions5);
  }

  /**
   * The 5-class labels, which SST-5 scoring reads as classes 0..4 in order.
   *
   * @throws IllegalArgumentException when the package's 5-class head does not have 5 labels
   */
  static List<String> sst5Labels(ElmoHeads heads) {
    List<String> labels = heads.sentimentLabels();
    if (labels.size() != 5) {
      throw new IllegalArgumentException(
          "--elmo-heads "
              + heads.id()
              + ": its 5-class head has "
              + labels.size()
              + " labels "
              + labels
              + "; SST-5 scoring needs 5 (very negative .. very positive, in class order)");
    }
    return labels;
  }

  /** The analysis' sentiment probabilities in {@code labels} order. */
  static float[] probabilities(SentenceAnalysis a, List<String> labels) {
    Map<String, Float> p = a.getSentimentProbabilities();
    float[] out = new float[labels.size()];
    for (int k = 0; k < out.length; k++) {
      Float v = p.get(labels.get(k));
      if (v == null) {
        throw new IllegalStateException(
            a.getStreamId() + ": the analysis has no probability for label " + labels.get(k));
      }
      out[k] = v;
    }
    return out;
  }

  /** Index of the largest value, the first on a tie. */
  static int argmax(float[] values) {
    int best = 0;
    for (int k = 1; k < values.length; k++) {
      if (values[k] > values[best]) {
        best = k;
      }
    }
    return best;
  }
}
