package dev.rillet.jobs.eval;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * {@code rillet eval}'s report for a person, as the command prints it: the models and the exact
 * command first (so a model card can quote them), a table with one row per model and task (split,
 * n, accuracy, coverage), the ELMo heads' differences from the recurrent model in points, then per
 * model and task a confusion summary, and the runs' size and time.
 */
final class EvalReportText {
  private EvalReportText() {}

  /** Prints the report to {@code out}. */
  static void print(EvalReport report, PrintStream out) {
    Evaluation.Result result = report.result();
    ElmoEvaluation.Result elmo = report.elmo();
    Evaluation.Settings s = result.settings();
    out.println(
        "model    "
            + report.modelId()
            + (report.purpose() == null ? "" : " (purpose: " + report.purpose() + ")")
            + "  "
            + report.modelDir());
    out.println("command  " + report.command());
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
    printRows(out, s.split(), EvalReport.RECURRENT, result.upos(), result.sst2(), null);
    if (elmo != null) {
      printRows(out, s.split(), EvalReport.HEADS, elmo.upos(), elmo.sst2(), elmo.sst5());
      printDifferences(report, out);
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
    out.printf(Locale.ROOT, "%.1f s in all%n", report.totalSeconds());
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

  private static void printDifferences(EvalReport report, PrintStream out) {
    StringBuilder b = new StringBuilder();
    if (!Double.isNaN(report.uposDifference())) {
      b.append(String.format(Locale.ROOT, "upos %+.2f", report.uposDifference()));
    }
    if (!Double.isNaN(report.sst2Difference())) {
      b.append(b.length() == 0 ? "" : ", ")
          .append(String.format(Locale.ROOT, "sst2 %+.2f", report.sst2Difference()));
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
    for (UposScore.Confusion c : upos.topConfusions(EvalReport.TOP_CONFUSIONS)) {
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
}
