package dev.rillet.jobs.eval;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/**
 * What {@code rillet eval} prints and writes: the model and the exact command first (so a model
 * card can quote them), a table of task, split, n, accuracy and coverage, then per task a confusion
 * summary, and the run's size and time. The same content as JSON for {@code --report}.
 */
public final class EvalReport {
  /** Confused tag pairs listed. */
  static final int TOP_CONFUSIONS = 10;

  private final String modelId;
  private final Path modelDir;
  private final String purpose;
  private final String command;
  private final Evaluation.Result result;
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
    this.modelId = modelId;
    this.modelDir = modelDir;
    this.purpose = purpose;
    this.command = command;
    this.result = result;
    this.totalSeconds = totalSeconds;
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
    out.println();
    out.printf(
        "%-6s %-6s %8s %-10s %9s %9s%n", "task", "split", "n", "unit", "accuracy", "coverage");
    UposScore upos = result.upos();
    if (upos != null) {
      out.printf(
          Locale.ROOT,
          "%-6s %-6s %8d %-10s %9.4f %9.4f%n",
          "upos",
          s.split(),
          upos.words(),
          "words",
          upos.accuracy(),
          upos.coverage());
    }
    SentimentScore sst = result.sst2();
    if (sst != null) {
      out.printf(
          Locale.ROOT,
          "%-6s %-6s %8d %-10s %9.4f %9s%n",
          "sst2",
          s.split(),
          sst.sentences(),
          "sentences",
          sst.accuracy(),
          "-");
    }
    if (upos != null) {
      printUpos(out, upos);
    }
    if (sst != null) {
      printSentiment(out, sst);
    }
    EvalPipeline.Predictions p = result.predictions();
    out.println();
    out.printf(
        Locale.ROOT,
        "run: %d events, %d tokens through segmenter + recurrent tagger in %.1f s (%.0f tokens/s,"
            + " job start included); %.1f s in all%n",
        p.events(),
        p.tokens(),
        p.seconds(),
        p.tokens() / Math.max(p.seconds(), 1e-9),
        totalSeconds);
  }

  private void printUpos(PrintStream out, UposScore upos) {
    out.println();
    out.printf(
        Locale.ROOT,
        "UPOS: %d documents, %d sentences, %d gold words; %d aligned exactly with a token"
            + " (coverage %.4f), %d tagged correctly (accuracy %.4f; %.4f on aligned words)%n",
        result.documents().size(),
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

  private static void printSentiment(PrintStream out, SentimentScore sst) {
    out.println();
    out.printf(
        Locale.ROOT,
        "SST-2: %d sentences, %d correct (accuracy %.4f); prediction = the stream's sentiment after"
            + " the sentence's last token%n",
        sst.sentences(),
        sst.correct(),
        sst.accuracy());
    if (sst.missing() > 0) {
      out.printf("  %d sentences without a sentiment reading (counted wrong)%n", sst.missing());
    }
    out.printf("  %-14s %13s %13s%n", "", "pred negative", "pred positive");
    out.printf("  %-14s %13d %13d%n", "gold negative", sst.count(0, 0), sst.count(0, 1));
    out.printf("  %-14s %13d %13d%n", "gold positive", sst.count(1, 0), sst.count(1, 1));
  }

  /** The report as JSON. */
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
    UposScore upos = result.upos();
    if (upos != null) {
      ObjectNode u = tasks.putObject("upos");
      u.put("documents", result.documents().size());
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
    SentimentScore sst = result.sst2();
    if (sst != null) {
      ObjectNode n = tasks.putObject("sst2");
      n.put("sentences", sst.sentences());
      n.put("correct", sst.correct());
      n.put("missing", sst.missing());
      n.put("accuracy", sst.accuracy());
      ObjectNode m = n.putObject("confusion");
      m.putArray("goldNegative").add(sst.count(0, 0)).add(sst.count(0, 1));
      m.putArray("goldPositive").add(sst.count(1, 0)).add(sst.count(1, 1));
      m.put("columns", "predicted negative, predicted positive");
    }
    ObjectNode run = root.putObject("run");
    EvalPipeline.Predictions p = result.predictions();
    run.put("events", p.events());
    run.put("tokens", p.tokens());
    run.put("jobSeconds", p.seconds());
    run.put("totalSeconds", totalSeconds);
    return root;
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
