package dev.rillet.jobs.pipeline;

import dev.rillet.elmo.EmbeddingsMode;
import dev.rillet.elmo.SentenceElmo;
import dev.rillet.elmo.runtime.SentimentHead;
import dev.rillet.jobs.cli.CommandLine;
import java.time.Duration;
import java.util.List;
import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.configuration.ConfigOptions;

/**
 * Options of the sentence stage (bidirectional ELMo + task heads over completed sentences). Their
 * keys are command-line flags of {@code rillet live}, {@code demo}, {@code backfill} and {@code
 * eval}. The batch and bundle sizes have no default here, as the tagger's (see {@link
 * PipelineOptions}): unset, {@link SentenceElmo} picks one for the provider it runs on.
 */
public final class SentenceOptions {
  private SentenceOptions() {}

  /** Value of {@link #ELMO} that turns the sentence stage off. */
  public static final String NONE = "none";

  public static final ConfigOption<String> ELMO =
      ConfigOptions.key("elmo")
          .stringType()
          .defaultValue("models/elmo-bilm")
          .withDescription(
              "ELMo biLM: a folder with options.json and one .hdf5 weights file (AllenNLP /"
                  + " bilm-tf layout), or an .onnx file from convert-elmo. 'none' turns the"
                  + " sentence stage off. A relative path is resolved against the working"
                  + " directory, then against the Rillet installation.");

  public static final ConfigOption<String> ELMO_OPTIONS =
      ConfigOptions.key("elmo-options")
          .stringType()
          .noDefaultValue()
          .withDescription(
              "options.json of a published ELMo model; with --elmo-weights, replaces --elmo.");

  public static final ConfigOption<String> ELMO_WEIGHTS =
      ConfigOptions.key("elmo-weights")
          .stringType()
          .noDefaultValue()
          .withDescription(
              "weights .hdf5 of a published ELMo model; with --elmo-options, replaces --elmo.");

  public static final ConfigOption<String> ELMO_HEADS =
      ConfigOptions.key("elmo-heads")
          .stringType()
          .defaultValue("models/elmo-heads")
          .withDescription(
              "Task heads package (manifest.json + ONNX) trained on the biLM's activations:"
                  + " revised tags and sentence sentiment.");

  public static final ConfigOption<SentimentHead> ELMO_SENTIMENT =
      ConfigOptions.key("elmo-sentiment")
          .enumType(SentimentHead.class)
          .defaultValue(SentimentHead.SST2)
          .withDescription(
              "Which sentence-sentiment head of --elmo-heads to use: sst2 (negative/positive) or"
                  + " sst5 (very negative .. very positive; only when the package has it).");

  public static final ConfigOption<Boolean> ELMO_STATEFUL =
      ConfigOptions.key("elmo-stateful")
          .booleanType()
          .defaultValue(false)
          .withDescription(
              "Carry each stream's ELMo LSTM states from sentence to sentence (AllenNLP"
                  + " semantics). Off by default: then a sentence's output depends only on the"
                  + " sentence, which is what replay needs.");

  public static final ConfigOption<EmbeddingsMode> ELMO_EMBEDDINGS =
      ConfigOptions.key("elmo-embeddings")
          .enumType(EmbeddingsMode.class)
          .defaultValue(EmbeddingsMode.OFF)
          .withDescription(
              "Per-token embeddings in each SentenceAnalysis: OFF, MIXED (the tag head's scalar"
                  + " mix, 2P floats per token) or ALL (every layer, (L+1)·2P floats per token).");

  public static final ConfigOption<Integer> ELMO_MAX_BUNDLE_TOKENS =
      CommandLine.atLeastOne(
          ConfigOptions.key("elmo-max-bundle-tokens")
              .intType()
              .noDefaultValue()
              .withDescription(
                  PipelineOptions.providerSized(
                      "The sentence stage runs its queue once it holds this many tokens.",
                      SentenceElmo.DEFAULT_MAX_BUNDLE_TOKENS)));

  public static final ConfigOption<Integer> ELMO_MAX_BATCH_SIZE =
      CommandLine.atLeastOne(
          ConfigOptions.key("elmo-max-batch-size")
              .intType()
              .noDefaultValue()
              .withDescription(
                  PipelineOptions.providerSized(
                      "At most this many sentences go into one ELMo call.",
                      SentenceElmo.DEFAULT_MAX_BATCH_SIZE)));

  public static final ConfigOption<Integer> ELMO_MAX_BATCH_TOKENS =
      CommandLine.atLeastOne(
          ConfigOptions.key("elmo-max-batch-tokens")
              .intType()
              .noDefaultValue()
              .withDescription(
                  PipelineOptions.providerSized(
                      "At most this many padded tokens (sentences x longest sentence) per ELMo call.",
                      SentenceElmo.DEFAULT_MAX_BATCH_TOKENS)));

  public static final ConfigOption<Duration> ELMO_MAX_DELAY =
      ConfigOptions.key("elmo-max-delay")
          .durationType()
          .defaultValue(Duration.ofMillis(20))
          .withDescription(
              "A completed sentence waits at most this long (processing time) for a batch.");

  /** Every sentence-stage option, in the order --help lists them. */
  public static List<ConfigOption<?>> all() {
    return List.of(
        ELMO,
        ELMO_OPTIONS,
        ELMO_WEIGHTS,
        ELMO_HEADS,
        ELMO_SENTIMENT,
        ELMO_STATEFUL,
        ELMO_EMBEDDINGS,
        ELMO_MAX_BUNDLE_TOKENS,
        ELMO_MAX_BATCH_SIZE,
        ELMO_MAX_BATCH_TOKENS,
        ELMO_MAX_DELAY);
  }
}
