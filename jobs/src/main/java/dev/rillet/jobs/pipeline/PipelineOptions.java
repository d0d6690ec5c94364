package dev.rillet.jobs.pipeline;

import dev.rillet.bundle.BatchLimit;
import dev.rillet.jobs.cli.CommandLine;
import dev.rillet.kafka.TextEventDecoder;
import dev.rillet.onnx.ExecutionProvider;
import dev.rillet.onnx.OrtSettings;
import dev.rillet.recurrent.RecurrentTagger;
import java.time.Duration;
import java.util.List;
import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.configuration.ConfigOptions;
import org.apache.flink.configuration.ReadableConfig;
import org.apache.flink.configuration.description.Description;

/**
 * Options of the Rillet pipeline itself (model, bundling, segmentation, checkpointing). Their keys
 * are the command-line flags of {@code rillet live} and {@code rillet demo}.
 *
 * <p>The batch and bundle sizes have no default here: unset, the operator picks its default for the
 * execution provider it finds where the model runs ({@link RecurrentTagger#DEFAULT_MAX_BATCH_SIZE}
 * and the like), which the client cannot know. Read them with {@code getOptional}.
 */
public final class PipelineOptions {
  private PipelineOptions() {}

  public static final ConfigOption<String> MODEL =
      ConfigOptions.key("model")
          .stringType()
          .defaultValue("models/rillet-gru")
          .withDescription(
              "Recurrent model package folder (manifest.json, model.onnx, vocab.txt). A relative"
                  + " path is resolved against the working directory, then against the Rillet"
                  + " installation.");

  public static final ConfigOption<Integer> PARALLELISM =
      CommandLine.atLeastOne(
          ConfigOptions.key("parallelism")
              .intType()
              .defaultValue(1)
              .withDescription("Parallelism of every operator of the job."));

  public static final ConfigOption<Integer> MAX_BUNDLE_TOKENS =
      CommandLine.atLeastOne(
          ConfigOptions.key("max-bundle-tokens")
              .intType()
              .noDefaultValue()
              .withDescription(
                  providerSized(
                      "The tagger flushes its bundle once it holds this many tokens.",
                      RecurrentTagger.DEFAULT_MAX_BUNDLE_TOKENS)));

  public static final ConfigOption<Integer> MAX_BATCH_SIZE =
      CommandLine.atLeastOne(
          ConfigOptions.key("max-batch-size")
              .intType()
              .noDefaultValue()
              .withDescription(
                  providerSized(
                      "At most this many streams' steps go into one ONNX Runtime call.",
                      RecurrentTagger.DEFAULT_MAX_BATCH_SIZE)));

  public static final ConfigOption<Integer> MAX_CHUNK_TOKENS =
      CommandLine.atLeastOne(
          ConfigOptions.key("max-chunk-tokens")
              .intType()
              .defaultValue(256)
              .withDescription(
                  "A stream's long run of tokens (a long event) goes into ONNX Runtime calls of at"
                      + " most this many tokens, interleaved with other streams' steps; 1 steps every"
                      + " token on its own."));

  public static final ConfigOption<Duration> MAX_BUNDLE_DELAY =
      ConfigOptions.key("max-bundle-delay")
          .durationType()
          .defaultValue(Duration.ofMillis(5))
          .withDescription(
              "The tagger flushes its bundle at the latest this long (processing time) after its"
                  + " first token arrived: the latency a token can wait for company.");

  public static final ConfigOption<Integer> INTRA_OP_THREADS =
      CommandLine.atLeastOne(
          ConfigOptions.key("intra-op-threads")
              .intType()
              .defaultValue(1)
              .withDescription(
                  "ONNX Runtime intra-op threads of the session shared per TaskManager."));

  public static final ConfigOption<ExecutionProvider> EXECUTION_PROVIDER =
      ConfigOptions.key("execution-provider")
          .enumType(ExecutionProvider.class)
          .defaultValue(ExecutionProvider.AUTO)
          .withDescription(
              "Where ONNX Runtime runs the tagger and ELMo: auto (CUDA device 0 where this build"
                  + " has the CUDA provider and a device answers, the CPU elsewhere; never fails"
                  + " for want of a GPU), cpu, or cuda (refused at startup where CUDA cannot be"
                  + " used). The provider in use is logged once per process and is the label of"
                  + " the tagger's onnxExecutionProvider metric. The CUDA provider needs a build"
                  + " with -Pgpu; docs/operations.md says how.");

  /**
   * The description of a size whose default depends on where the model runs: {@code --help} says
   * both defaults, and that a value given holds on either provider.
   */
  static Description providerSized(String description, BatchLimit defaults) {
    return CommandLine.describedWithDefault(
        description
            + " Unset, it depends on where the model runs (--execution-provider, found on each"
            + " TaskManager): a GPU pays for larger batches. A value given holds on both.",
        defaults.toString());
  }

  /** The ONNX Runtime settings in {@code conf}: intra-op threads and execution provider. */
  public static OrtSettings ortSettings(ReadableConfig conf) {
    return new OrtSettings(conf.get(INTRA_OP_THREADS), conf.get(EXECUTION_PROVIDER));
  }

  /**
   * Longest text of an event, in chars (UTF-16 code units); a longer event is a dead letter whose
   * reason names this flag. Defined with the decoder that applies it (the source reads it too).
   */
  public static final ConfigOption<Integer> MAX_EVENT_CHARS = TextEventDecoder.MAX_EVENT_CHARS;

  public static final ConfigOption<Duration> IDLE_GAP =
      ConfigOptions.key("idle-gap")
          .durationType()
          .defaultValue(Duration.ofSeconds(10))
          .withDescription(
              "A stream's open sentence closes when no event comes for this long, in event time.");

  public static final ConfigOption<Integer> MAX_SENTENCE_TOKENS =
      ConfigOptions.key("max-sentence-tokens")
          .intType()
          .defaultValue(100)
          .withDescription("A sentence closes once it has this many tokens.");

  public static final ConfigOption<Duration> STREAM_TTL =
      ConfigOptions.key("stream-ttl")
          .durationType()
          .defaultValue(Duration.ofMinutes(30))
          .withDescription(
              "A stream idle for longer than this (event time) is evicted; its next event starts it"
                  + " fresh.");

  public static final ConfigOption<Duration> MAX_OUT_OF_ORDERNESS =
      ConfigOptions.key("max-out-of-orderness")
          .durationType()
          .defaultValue(Duration.ofSeconds(1))
          .withDescription(
              "How far behind the newest event time of each input partition its watermark trails;"
                  + " the job's watermark is the minimum over partitions. Idle-gap closes and"
                  + " expiry fire when the watermark passes them.");

  public static final ConfigOption<Duration> SOURCE_IDLE_TIMEOUT =
      ConfigOptions.key("source-idle-timeout")
          .durationType()
          .defaultValue(Duration.ofSeconds(30))
          .withDescription(
              "An input partition without records for this long stops holding the watermark"
                  + " back, until its next record. The clock stands still while the source is"
                  + " back-pressured, as when it reads a backlog, so a partition whose records wait"
                  + " behind another's is not taken for idle. Shorter: idle-gap closes come sooner"
                  + " when partitions fall quiet; longer: a partition stalled by its broker is less"
                  + " likely to be overtaken. 0 turns it off (a partition without traffic then holds"
                  + " the watermark).");

  public static final ConfigOption<Duration> CHECKPOINT_INTERVAL =
      ConfigOptions.key("checkpoint-interval")
          .durationType()
          .defaultValue(Duration.ofSeconds(2))
          .withDescription(
              "Checkpoint interval. Outputs become visible to read_committed consumers when the"
                  + " checkpoint that covers them completes, so this bounds end-to-end latency.");

  public static final ConfigOption<Integer> REPLAY_TOKENS =
      ConfigOptions.key("replay-tokens")
          .intType()
          .defaultValue(0)
          .withDescription(
              "Keep each stream's last N tokens in state, so that a model update with policy"
                  + " replay rebuilds the stream's hidden state on the new model from them before"
                  + " its next token. 0 (default): none kept, and replay updates are refused.");

  public static final ConfigOption<Duration> BUFFER_TIMEOUT =
      ConfigOptions.key("buffer-timeout")
          .durationType()
          .defaultValue(Duration.ofMillis(10))
          .withDescription(
              "How long a network buffer between the job's tasks waits to fill before it is sent"
                  + " (Flink's execution.buffer-timeout; Flink's default is 100 ms). It adds up to"
                  + " this much to a token's latency at each of the job's network hops; lower"
                  + " costs some throughput. docs/performance.md measures both.");

  /**
   * Every pipeline option but {@link #REPLAY_TOKENS} (it serves model updates, which only the live
   * job takes), in the order --help lists them.
   */
  public static List<ConfigOption<?>> all() {
    return List.of(
        MODEL,
        PARALLELISM,
        MAX_BUNDLE_TOKENS,
        MAX_BATCH_SIZE,
        MAX_CHUNK_TOKENS,
        MAX_BUNDLE_DELAY,
        BUFFER_TIMEOUT,
        INTRA_OP_THREADS,
        EXECUTION_PROVIDER,
        MAX_EVENT_CHARS,
        IDLE_GAP,
        MAX_SENTENCE_TOKENS,
        STREAM_TTL,
        MAX_OUT_OF_ORDERNESS,
        SOURCE_IDLE_TIMEOUT,
        CHECKPOINT_INTERVAL);
  }
}
