package dev.rillet.jobs.eval;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * What {@code rillet eval} prints and writes: the models and the exact command first (so a model
 * card can quote them), a table with one row per model and task (split, n, accuracy, coverage), the
 * ELMo heads' differences from the recurrent model in points, then per model and task a confusion
 * summary, and the runs' size and time. The same content as JSON for {@code --report}.
 */
public final class EvalReport {
  /** Confused tag pairs listed. */
  static final int TOP_CONFUSIONS = 10;

  private final String modelId;
  private final Path modelDir;
  private final String purpose;
  private final String command;
  private final Evaluation.Result result;
  private final ElmoEvaluation.Result elmo;
  private final double totalSeconds;

  /**
   * @param purpose the manifest's purpose, or null
   * @param command the command line that produced the result, as a user would type it
   * @param totalSeconds wall time of the whole command (reading data, job, scoring)
   */
  public EvalReport(
      String modelId,
      Path modelDir,
      String purpose,
      String command,
      Evaluation.Result result,
      double totalSeconds) {
    this(modelId, modelDir, purpose, command, result, null, totalSeconds);
  }

  /**
   * @param purpose the manifest's purpose, or null
   * @param command the command line that produced the result, as a user would type it
   * @param elmo the ELMo sentence stage's figures, or null when it was not evaluated
   * @param totalSeconds wall time of the whole command (reading data, jobs, scoring)
   */
  public EvalReport(
      String modelId,
      Path modelDir,
      String purpose,
      String command,
      Evaluation.Result result,
      ElmoEvaluation.Result elmo,
      double totalSeconds) {
    this.modelId = modelId;
    this.modelDir = modelDir;
    this.purpose = purpose;
    this.command = command;
    this.result = result;
    this.elmo = elmo;
    this.totalSeconds = totalSeconds;
  }

  /** Row label of the recurrent model. */
  static final String RECURRENT = "recurrent";

  /** Row label of the ELMo heads. */
  static final String HEADS = "elmo-heads";

  /**
   * Heads minus recurrent accuracy in points (percentage points), or NaN when either is missing.
   */
  static double pointsDifference(double heads, double recurrent) {
    return 100 * (heads - recurrent);
  }

  /** UPOS accuracy of the heads minus the recurrent model's, in points; NaN when not both. */
  public double uposDifference() {
    return elmo == null || elmo.upos() == null || result.upos() == null
        ? Double.NaN
        : pointsDifference(elmo.upos().accuracy(), result.upos().accuracy());
  }

  /** SST-2 accuracy of the heads minus the recurrent model's, in points; NaN when not both. */
  public double sst2Difference() {
    return elmo == null || elmo.sst2() == null || result.sst2() == null
        ? Double.NaN
        : pointsDifference(elmo.sst2().accuracy(), result.sst2().accuracy());
  }

  /** Prints the report for a person. */
  public void print(PrintStream out) {
    Evaluation.Settings s = result.settings();
    out.println(
        "model    "
            + modelId
            + (purpose == null ? "" : " (purpose: " + purpose + ")")
            + "  "
            + modelDir);
    out.println("command  " + command);
    out.println(
        "data     "
            + s.data()
            + "  split "
            + s.split()
            + (s.documentLimit() == 0 && s.sstLimit() == 0
                ? ""
                : "  limit " + s.documentLimit() + " documents / " + s.sstLimit() + " sentences"));
    if (elmo != null) {
      out.println("elmo     " + elmo.describe() + "  heads " + elmo.headsId());
    }
    out.println();
    out.printf(
        "%-10s %-6s %-6s %8s %-10s %9s %9s%n",
        "model", "task", "split", "n", "unit", "accuracy", "coverage");
    printRows(out, s.split(), RECURRENT, result.upos(), result.sst2(), null);
    if (elmo != null) {
      printRows(out, s.split(), HEADS, elmo.upos(), elmo.sst2(), elmo.sst5());
      printDifferences(out);
    }
    if (result.upos() != null) {
      printUpos(out, "recurrent", result.documents().size(), result.upos());
    }
    if (result.sst2() != null) {
      printSentiment(out, "SST-2 (recurrent)", PREDICTION_RECURRENT, result.sst2());
    }
    if (elmo != null) {
      if (elmo.upos() != null) {
        printUpos(out, "ELMo heads", result.documents().size(), elmo.upos());
      }
      if (elmo.sst2() != null) {
        printSentiment(out, "SST-2 (ELMo heads)", PREDICTION_HEADS, elmo.sst2());
      }
      if (elmo.sst5() != null) {
        printSentiment(out, "SST-5 (ELMo heads)", PREDICTION_HEADS, elmo.sst5());
      }
      if (elmo.splitSstSentences() > 0) {
        out.printf(
            "  %d SST sentences were split by the segmenter; each is scored on its longest part%n",
            elmo.splitSstSentences());
      }
    }
    EvalPipeline.Predictions p = result.predictions();
    out.println();
    if (p.events() > 0) {
      out.printf(
          Locale.ROOT,
          "run: %d events, %d tokens through segmenter + recurrent tagger in %.1f s (%.0f"
              + " tokens/s, job start included)%n",
          p.events(),
          p.tokens(),
          p.seconds(),
          p.tokens() / Math.max(p.seconds(), 1e-9));
    }
    if (elmo != null) {
      for (EvalPipeline.SentencePredictions e :
          new EvalPipeline.SentencePredictions[] {elmo.predictions(), elmo.predictions5()}) {
        if (e != null) {
          out.printf(
              Locale.ROOT,
              "run: %d events, %d tokens through segmenter + recurrent tagger + ELMo heads"
                  + " (%d sentences) in %.1f s (%.0f tokens/s, job start included)%n",
              e.events(),
              e.tokens(),
              e.analyses().size(),
              e.seconds(),
              e.tokens() / Math.max(e.seconds(), 1e-9));
        }
      }
    }
    out.printf(Locale.ROOT, "%.1f s in all%n", totalSeconds);
  }

  private static final String PREDICTION_RECURRENT =
      "prediction = the stream's sentiment after the sentence's last token";
  private static final String PREDICTION_HEADS =
      "prediction = the sentence sentiment head's most probable label";

  private static void printRows(
      PrintStream out,
      Evaluation.Split split,
      String model,
      UposScore upos,
      SentimentScore sst2,
      SentimentScore sst5) {
    if (upos != null) {
      out.printf(
          Locale.ROOT,
          "%-10s %-6s %-6s %8d %-10s %9.4f %9.4f%n",
          model,
          "upos",
          split,
          upos.words(),
          "words",
          upos.accuracy(),
          upos.coverage());
    }
    for (SentimentScore sst : new SentimentScore[] {sst2, sst5}) {
      if (sst != null) {
        out.printf(
            Locale.ROOT,
            "%-10s %-6s %-6s %8d %-10s %9.4f %9s%n",
            model,
            sst == sst2 ? "sst2" : "sst5",
            split,
            sst.sentences(),
            "sentences",
            sst.accuracy(),
            "-");
      }
    }
  }

  private void printDifferences(PrintStream out) {
    StringBuilder b = new StringBuilder();
    if (!Double.isNaN(uposDifference())) {
      b.append(String.format(Locale.ROOT, "upos %+.2f", uposDifference()));
    }
    if (!Double.isNaN(sst2Difference())) {
      b.append(b.length() == 0 ? "" : ", ")
          .append(String.format(Locale.ROOT, "sst2 %+.2f", sst2Difference()));
    }
    if (b.length() > 0) {
      out.println("heads - recurrent: " + b + " points");
    }
  }

  private static void printUpos(PrintStream out, String model, int documents, UposScore upos) {
    out.println();
    out.printf(
        Locale.ROOT,
        "UPOS (%s): %d documents, %d sentences, %d gold words; %d aligned exactly with a token"
            + " (coverage %.4f), %d tagged correctly (accuracy %.4f; %.4f on aligned words)%n",
        model,
        documents,
        upos.sentences(),
        upos.words(),
        upos.alignedWords(),
        upos.coverage(),
        upos.correctWords(),
        upos.accuracy(),
        upos.accuracyOnAligned());
    if (upos.unlocatedWords() > 0 || upos.missingSentences() > 0) {
      out.printf(
          "  %d gold words not found in their sentence text; %d sentences without output%n",
          upos.unlocatedWords(), upos.missingSentences());
    }
    out.printf("  %-6s %7s %9s %9s%n", "tag", "words", "coverage", "accuracy");
    for (UposScore.TagScore t : upos.perTag()) {
      out.printf(
          Locale.ROOT,
          "  %-6s %7d %9.4f %9.4f%n",
          t.tag(),
          t.words(),
          UposScore.ratio(t.aligned(), t.words()),
          t.accuracy());
    }
    long errors = upos.alignedWords() - upos.correctWords();
    out.println("  most confused (gold -> predicted, aligned words; share of tagging errors):");
    for (UposScore.Confusion c : upos.topConfusions(TOP_CONFUSIONS)) {
      out.printf(
          Locale.ROOT,
          "    %-6s -> %-6s %6d  %5.1f%%%n",
          c.gold(),
          c.predicted(),
          c.count(),
          100.0 * c.count() / Math.max(errors, 1));
    }
  }

  private static void printSentiment(
      PrintStream out, String title, String prediction, SentimentScore sst) {
    out.println();
    out.printf(
        Locale.ROOT,
        "%s: %d sentences, %d correct (accuracy %.4f); %s%n",
        title,
        sst.sentences(),
        sst.correct(),
        sst.accuracy(),
        prediction);
    if (sst.missing() > 0) {
      out.printf("  %d sentences without a sentiment reading (counted wrong)%n", sst.missing());
    }
    List<String> names = classNames(sst.classes());
    StringBuilder header = new StringBuilder(String.format("  %-14s", ""));
    for (String n : names) {
      header.append(String.format(" %14s", "pred " + n));
    }
    out.println(header);
    for (int g = 0; g < names.size(); g++) {
      StringBuilder row = new StringBuilder(String.format("  %-14s", "gold " + names.get(g)));
      for (int p = 0; p < names.size(); p++) {
        row.append(String.format(" %14d", sst.count(g, p)));
      }
      out.println(row);
    }
  }

  /**
   * The figures as a markdown section for a package's {@code MODEL.md} (see {@link
   * ModelCardSection}): the command, a row per model and task, the heads' differences and the
   * per-tag UPOS accuracy.
   */
  public String modelCardMarkdown() {
    Evaluation.Settings s = result.settings();
    StringBuilder b = new StringBuilder();
    b.append("## Evaluation (`./rillet eval`)\n\n");
    b.append("Measured with `").append(command).append("` on the ").append(s.split());
    b.append(
        " splits through the Java tokenizer and the live operators. UPOS counts a gold word as"
            + " right only when one token has exactly its offsets and its tag, so words the"
            + " tokenizer splits differently from UD count as wrong (coverage). SST-2 for the"
            + " recurrent model is the stream's sentiment after the sentence's last token; for the"
            + " ELMo heads, the sentence sentiment head.\n\n");
    b.append("| model | task | n | accuracy | coverage |\n|---|---|---|---|---|\n");
    String recurrent = "recurrent `" + modelId + "`";
    cardRows(b, recurrent, result.upos(), result.sst2(), null);
    String heads = elmo == null ? null : "ELMo heads `" + elmo.headsId() + "`";
    if (elmo != null) {
      cardRows(b, heads, elmo.upos(), elmo.sst2(), elmo.sst5());
      b.append("\nELMo: ").append(elmo.describe()).append(".\n");
      if (!Double.isNaN(uposDifference()) || !Double.isNaN(sst2Difference())) {
        b.append("Heads minus recurrent:");
        if (!Double.isNaN(uposDifference())) {
          b.append(String.format(Locale.ROOT, " UPOS %+.2f points", uposDifference()));
        }
        if (!Double.isNaN(sst2Difference())) {
          b.append(String.format(Locale.ROOT, " SST-2 %+.2f points", sst2Difference()));
        }
        b.append(".\n");
      }
    }
    UposScore headsUpos = elmo == null ? null : elmo.upos();
    if (result.upos() != null || headsUpos != null) {
      b.append("\nUPOS accuracy per tag:\n\n| tag | words |");
      UposScore first = result.upos() != null ? result.upos() : headsUpos;
      if (result.upos() != null) {
        b.append(" recurrent |");
      }
      if (headsUpos != null) {
        b.append(" ELMo heads |");
      }
      b.append("\n|---|---|").append(result.upos() != null ? "---|" : "");
      b.append(headsUpos != null ? "---|" : "").append("\n");
      for (int i = 0; i < first.perTag().size(); i++) {
        UposScore.TagScore t = first.perTag().get(i);
        b.append("| ").append(t.tag()).append(" | ").append(t.words()).append(" |");
        for (UposScore u : new UposScore[] {result.upos(), headsUpos}) {
          if (u != null) {
            b.append(String.format(Locale.ROOT, " %.4f |", u.perTag().get(i).accuracy()));
          }
        }
        b.append("\n");
      }
    }
    return b.toString();
  }

  private static void cardRows(
      StringBuilder b, String model, UposScore upos, SentimentScore sst2, SentimentScore sst5) {
    if (upos != null) {
      b.append(
          String.format(
              Locale.ROOT,
              "| %s | UPOS (UD EWT) | %d words | %.4f | %.4f |%n",
              model,
              upos.words(),
              upos.accuracy(),
              upos.coverage()));
    }
    for (SentimentScore sst : new SentimentScore[] {sst2, sst5}) {
      if (sst != null) {
        b.append(
            String.format(
                Locale.ROOT,
                "| %s | %s | %d sentences | %.4f | - |%n",
                model,
                sst == sst2 ? "SST-2" : "SST-5",
                sst.sentences(),
                sst.accuracy()));
      }
    }
  }

  /** Short names of the sentiment classes, in class order. */
  static List<String> classNames(int classes) {
    if (classes == 2) {
      return List.of("negative", "positive");
    }
    if (classes == 5) {
      return List.of("v.neg", "neg", "neutral", "pos", "v.pos");
    }
    List<String> names = new ArrayList<>();
    for (int k = 0; k < classes; k++) {
      names.add(String.valueOf(k));
    }
    return names;
  }

  /**
   * The report as JSON: the recurrent model's figures under {@code tasks}, the ELMo heads' under
   * {@code elmo.tasks} (absent when not evaluated), and the heads' differences in points under
   * {@code headsMinusRecurrentPoints}.
   */
  public ObjectNode toJson() {
    ObjectMapper mapper = new ObjectMapper();
    ObjectNode root = mapper.createObjectNode();
    ObjectNode model = root.putObject("model");
    model.put("id", modelId);
    model.put("dir", modelDir.toString());
    if (purpose != null) {
      model.put("purpose", purpose);
    }
    root.put("command", command);
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
    run.put("totalSeconds", totalSeconds);
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
      if (!Double.isNaN(uposDifference())) {
        d.put("upos", uposDifference());
      }
      if (!Double.isNaN(sst2Difference())) {
        d.put("sst2", sst2Difference());
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
      for (UposScore.Confusion c : upos.topConfusions(TOP_CONFUSIONS)) {
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

  /** Writes {@link #toJson()} to {@code file}, pretty-printed. */
  public void write(Path file) throws IOException {
    Path parent = file.toAbsolutePath().getParent();
    if (parent != null) {
      Files.createDirectories(parent);
    }
    new ObjectMapper()
        .enable(SerializationFeature.INDENT_OUTPUT)
        .writeValue(file.toFile(), toJson());
  }
}
