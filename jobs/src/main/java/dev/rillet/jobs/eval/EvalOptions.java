package dev.rillet.jobs.eval;

import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.configuration.ConfigOptions;

/** Options of {@code rillet eval}; their keys are the command-line flags. */
public final class EvalOptions {
  private EvalOptions() {}

  public static final ConfigOption<String> DATA =
      ConfigOptions.key("data")
          .stringType()
          .defaultValue("../shared/data")
          .withDescription(
              "The shared data folder (with ud-ewt/ and sst/). When the flag is not given,"
                  + " $RILLET_DATA is used if set. A relative path is resolved against the working"
                  + " directory, then against the Rillet installation.");

  public static final ConfigOption<Evaluation.Split> SPLIT =
      ConfigOptions.key("split")
          .enumType(Evaluation.Split.class)
          .defaultValue(Evaluation.Split.TEST)
          .withDescription(
              "Which split to score: test for reported figures, dev while tuning (never train on"
                  + " either).");

  public static final ConfigOption<String> TASKS =
      ConfigOptions.key("tasks")
          .stringType()
          .defaultValue("upos,sst2,sst5")
          .withDescription(
              "Comma-separated tasks: upos (UD English EWT tags per gold word, one stream per"
                  + " document, one event per sentence), sst2 (SST-2 sentiment, one stream per"
                  + " sentence: the recurrent model's after the sentence's last token, the ELMo"
                  + " heads' sentence sentiment) and sst5 (SST-5, ELMo heads with a 5-class head"
                  + " only; skipped with a note otherwise).");

  public static final ConfigOption<Integer> LIMIT =
      ConfigOptions.key("limit")
          .intType()
          .defaultValue(0)
          .withDescription(
              "Score only the first N UD documents and the first N SST sentences, for a quick run"
                  + " (0 = all).");

  public static final ConfigOption<String> REPORT =
      ConfigOptions.key("report")
          .stringType()
          .noDefaultValue()
          .withDescription(
              "Also write the figures (per-tag accuracy, confusions, run time) to this JSON file.");

  public static final ConfigOption<Boolean> MODEL_CARD =
      ConfigOptions.key("model-card")
          .booleanType()
          .defaultValue(false)
          .withDescription(
              "Also write the figures into the evaluated packages' MODEL.md (the recurrent model,"
                  + " and the ELMo heads and biLM folders when the sentence stage runs), replacing"
                  + " the section an earlier run wrote. Test split, no --limit.");
}
