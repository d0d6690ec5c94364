package dev.rillet.jobs.eval;

import java.util.Locale;

/**
 * {@code rillet eval --model-card}'s figures as a Markdown section for a package's {@code MODEL.md}
 * ({@link ModelCardSection} puts it in place).
 */
final class EvalReportMarkdown {
  private EvalReportMarkdown() {}

  /**
   * The figures as a markdown section for a package's {@code MODEL.md} (see {@link
   * ModelCardSection}): the command, a row per model and task, the heads' differences and the
   * per-tag UPOS accuracy.
   */
  static String modelCardSection(EvalReport report) {
    Evaluation.Result result = report.result();
    ElmoEvaluation.Result elmo = report.elmo();
    Evaluation.Settings s = result.settings();
    StringBuilder b = new StringBuilder();
    b.append("## Evaluation (`./rillet eval`)\n\n");
    b.append("Measured with `").append(report.command()).append("` on the ").append(s.split());
    b.append(
        " splits through the Java tokenizer and the live operators. UPOS counts a gold word as"
            + " right only when one token has exactly its offsets and its tag, so words the"
            + " tokenizer splits differently from UD count as wrong (coverage). SST-2 for the"
            + " recurrent model is the stream's sentiment after the sentence's last token; for the"
            + " ELMo heads, the sentence sentiment head.\n\n");
    b.append("| model | task | n | accuracy | coverage |\n|---|---|---|---|---|\n");
    String recurrent = "recurrent `" + report.modelId() + "`";
    cardRows(b, recurrent, result.upos(), result.sst2(), null);
    String heads = elmo == null ? null : "ELMo heads `" + elmo.headsId() + "`";
    if (elmo != null) {
      cardRows(b, heads, elmo.upos(), elmo.sst2(), elmo.sst5());
      b.append("\nELMo: ").append(elmo.describe()).append(".\n");
      if (!Double.isNaN(report.uposDifference()) || !Double.isNaN(report.sst2Difference())) {
        b.append("Heads minus recurrent:");
        if (!Double.isNaN(report.uposDifference())) {
          b.append(String.format(Locale.ROOT, " UPOS %+.2f points", report.uposDifference()));
        }
        if (!Double.isNaN(report.sst2Difference())) {
          b.append(String.format(Locale.ROOT, " SST-2 %+.2f points", report.sst2Difference()));
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
}
