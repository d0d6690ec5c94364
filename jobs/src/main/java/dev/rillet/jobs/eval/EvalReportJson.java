package dev.rillet.jobs.eval;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** {@code rillet eval --report}: the report as JSON, every figure the text shows and more. */
final class EvalReportJson {
  private EvalReportJson() {}

  /**
   * The report as JSON: the recurrent model's figures under {@code tasks}, the ELMo heads' under
   * {@code elmo.tasks} (absent when not evaluated), and the heads' differences in points under
   * {@code headsMinusRecurrentPoints}.
   */
  static ObjectNode toJson(EvalReport report) {
    Evaluation.Result result = report.result();
    ElmoEvaluation.Result elmo = report.elmo();
    ObjectMapper mapper = new ObjectMapper();
    ObjectNode root = mapper.createObjectNode();
    ObjectNode model = root.putObject("model");
    model.put("id", report.modelId());
    model.put("dir", report.modelDir().toString());
    if (report.purpose() != null) {
      model.put("purpose", report.purpose());
    }
    root.put("command", report.command());
    Evaluation.Settings s = result.settings();
    root.put("data", s.data().toString());
    root.put("split", s.split().toString());
    root.put("documentLimit", s.documentLimit());
    root.put("sstLimit", s.sstLimit());
    ObjectNode tasks = root.putObject("tasks");
    putTasks(tasks, result.documents().size(), result.upos(), result.sst2(), null);
    ObjectNode run = root.putObject("run");
    EvalPipeline.Predictions p = result.predictions();
    run.put("events", p.events());
    run.put("tokens", p.tokens());
    run.put("jobSeconds", p.seconds());
    run.put("totalSeconds", report.totalSeconds());
    if (elmo != null) {
      ObjectNode e = root.putObject("elmo");
      e.put("stage", elmo.describe());
      e.put("heads", elmo.headsId());
      e.put("splitSstSentences", elmo.splitSstSentences());
      e.put(
          "sstSplitRule",
          "an SST sentence the segmenter splits is scored on its part with the most tokens");
      putTasks(
          e.putObject("tasks"), result.documents().size(), elmo.upos(), elmo.sst2(), elmo.sst5());
      ArrayNode runs = e.putArray("runs");
      for (EvalPipeline.SentencePredictions sp :
          new EvalPipeline.SentencePredictions[] {elmo.predictions(), elmo.predictions5()}) {
        if (sp != null) {
          runs.addObject()
              .put("events", sp.events())
              .put("tokens", sp.tokens())
              .put("sentences", sp.analyses().size())
              .put("jobSeconds", sp.seconds());
        }
      }
      ObjectNode d = root.putObject("headsMinusRecurrentPoints");
      if (!Double.isNaN(report.uposDifference())) {
        d.put("upos", report.uposDifference());
      }
      if (!Double.isNaN(report.sst2Difference())) {
        d.put("sst2", report.sst2Difference());
      }
    }
    return root;
  }

  private static void putTasks(
      ObjectNode tasks, int documents, UposScore upos, SentimentScore sst2, SentimentScore sst5) {
    if (upos != null) {
      ObjectNode u = tasks.putObject("upos");
      u.put("documents", documents);
      u.put("sentences", upos.sentences());
      u.put("words", upos.words());
      u.put("alignedWords", upos.alignedWords());
      u.put("correctWords", upos.correctWords());
      u.put("unlocatedWords", upos.unlocatedWords());
      u.put("missingSentences", upos.missingSentences());
      u.put("accuracy", upos.accuracy());
      u.put("coverage", upos.coverage());
      u.put("accuracyOnAligned", upos.accuracyOnAligned());
      ObjectNode perTag = u.putObject("perTag");
      for (UposScore.TagScore t : upos.perTag()) {
        ObjectNode n = perTag.putObject(t.tag());
        n.put("words", t.words());
        n.put("aligned", t.aligned());
        n.put("correct", t.correct());
        n.put("accuracy", t.accuracy());
      }
      ArrayNode confusions = u.putArray("topConfusions");
      for (UposScore.Confusion c : upos.topConfusions(EvalReport.TOP_CONFUSIONS)) {
        confusions
            .addObject()
            .put("gold", c.gold())
            .put("predicted", c.predicted())
            .put("count", c.count());
      }
    }
    if (sst2 != null) {
      ObjectNode n = putSentiment(tasks.putObject("sst2"), sst2);
      // The binary matrix keeps its named rows.
      ObjectNode m = n.putObject("confusion");
      m.putArray("goldNegative").add(sst2.count(0, 0)).add(sst2.count(0, 1));
      m.putArray("goldPositive").add(sst2.count(1, 0)).add(sst2.count(1, 1));
      m.put("columns", "predicted negative, predicted positive");
    }
    if (sst5 != null) {
      ObjectNode n = putSentiment(tasks.putObject("sst5"), sst5);
      ArrayNode m = n.putArray("confusion");
      for (int g = 0; g < sst5.classes(); g++) {
        ArrayNode row = m.addArray();
        for (int q = 0; q < sst5.classes(); q++) {
          row.add(sst5.count(g, q));
        }
      }
      n.put(
          "confusionRows", "gold class 0 (very negative) .. 4 (very positive); columns predicted");
    }
  }

  private static ObjectNode putSentiment(ObjectNode n, SentimentScore sst) {
    n.put("sentences", sst.sentences());
    n.put("correct", sst.correct());
    n.put("missing", sst.missing());
    n.put("accuracy", sst.accuracy());
    return n;
  }

  /** Writes {@link #toJson(EvalReport)} to {@code file}, pretty-printed. */
  static void write(EvalReport report, Path file) throws IOException {
    Path parent = file.toAbsolutePath().getParent();
    if (parent != null) {
      Files.createDirectories(parent);
    }
    new ObjectMapper()
        .enable(SerializationFeature.INDENT_OUTPUT)
        .writeValue(file.toFile(), toJson(report));
  }
}
