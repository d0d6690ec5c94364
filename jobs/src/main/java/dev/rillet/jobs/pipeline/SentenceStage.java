package dev.rillet.jobs.pipeline;

import dev.rillet.avro.ModelUpdate;
import dev.rillet.avro.SentenceAnalysis;
import dev.rillet.elmo.ElmoAnalyzer;
import dev.rillet.elmo.SentenceElmo;
import dev.rillet.elmo.runtime.ElmoSource;
import dev.rillet.elmo.runtime.SentimentHead;
import dev.rillet.elmo.runtime.SharedElmo;
import dev.rillet.jobs.cli.CommandContext;
import dev.rillet.onnx.ModelPackageException;
import dev.rillet.onnx.SharedCache;
import dev.rillet.recurrent.TaggedEvent;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.formats.avro.typeutils.AvroTypeInfo;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.datastream.DataStreamUtils;
import org.apache.flink.streaming.api.operators.OneInputStreamOperator;
import org.apache.flink.streaming.api.operators.TwoInputStreamOperator;

/**
 * The sentence stage of the pipeline: {@link SentenceElmo} over the tagger's output, configured
 * from {@link SentenceOptions}. {@link #check} resolves and loads the models once at start-up so a
 * bad path or file fails before the job starts, with a message naming the flag.
 */
public final class SentenceStage {
  private final ElmoSource source;
  private final Path heads;
  private final Configuration conf;

  private SentenceStage(ElmoSource source, Path heads, Configuration conf) {
    this.source = source;
    this.heads = heads;
    this.conf = conf;
  }

  /** {@link #resolve(Configuration, Path)} in the working directory (the jobs, tests). */
  public static SentenceStage resolve(Configuration conf) {
    return resolve(conf, CommandContext.WORKING_DIRECTORY);
  }

  /**
   * The stage the options ask for, with paths resolved like {@code --model} ({@code root}, then
   * {@code $RILLET_HOME}: {@link ModelLocator#locate}); null when {@code --elmo none} or when the
   * default models are missing ({@link #defaultModelsMissing}). Does not load anything.
   *
   * @throws IllegalArgumentException naming the flag when a path does not exist
   */
  public static SentenceStage resolve(Configuration conf, Path root) {
    String options = conf.get(SentenceOptions.ELMO_OPTIONS);
    String weights = conf.get(SentenceOptions.ELMO_WEIGHTS);
    ElmoSource source;
    if (options != null || weights != null) {
      if (options == null || weights == null) {
        throw new IllegalArgumentException(
            "--elmo-options and --elmo-weights go together: give both files of the published"
                + " model, or use --elmo with a folder");
      }
      source =
          ElmoSource.pair(
              file(root, "--elmo-options", options), file(root, "--elmo-weights", weights));
    } else {
      String elmo = conf.get(SentenceOptions.ELMO);
      if (SentenceOptions.NONE.equalsIgnoreCase(elmo) || defaultModelsMissing(conf, root)) {
        return null;
      }
      // Outside the try: its message already names the flag.
      Path path = located(root, "--elmo", elmo);
      try {
        source = ElmoSource.resolve(path);
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("--elmo " + elmo + ": " + e.getMessage(), e);
      }
    }
    Path heads = located(root, "--elmo-heads", conf.get(SentenceOptions.ELMO_HEADS));
    return new SentenceStage(source, heads, conf);
  }

  /** {@link #defaultModelsMissing(Configuration, Path)} in the working directory. */
  public static boolean defaultModelsMissing(Configuration conf) {
    return defaultModelsMissing(conf, CommandContext.WORKING_DIRECTORY);
  }

  /**
   * True when the user gave no ELMo flag and the shipped biLM or heads are not installed (under
   * {@code root} or {@code $RILLET_HOME}): then the stage is off (the commands say so) rather than
   * failing, so the real-time path runs on its own. A path the user gave that does not exist is
   * still an error.
   */
  public static boolean defaultModelsMissing(Configuration conf, Path root) {
    return !conf.contains(SentenceOptions.ELMO)
        && !conf.contains(SentenceOptions.ELMO_HEADS)
        && (find(root, SentenceOptions.ELMO.defaultValue()).isEmpty()
            || find(root, SentenceOptions.ELMO_HEADS.defaultValue()).isEmpty());
  }

  /** {@link #offReason(Configuration, Path)} in the working directory (the jobs). */
  public static String offReason(Configuration conf) {
    return offReason(conf, CommandContext.WORKING_DIRECTORY);
  }

  /** Why the stage is off, for the commands' start-up line; models looked up under {@code root}. */
  public static String offReason(Configuration conf, Path root) {
    return defaultModelsMissing(conf, root)
        ? "sentence stage off: the shipped ELMo models ("
            + SentenceOptions.ELMO.defaultValue()
            + ", "
            + SentenceOptions.ELMO_HEADS.defaultValue()
            + ") are not installed; train them (training/README.md) or give --elmo/--elmo-heads"
        : "sentence stage off (--elmo none)";
  }

  /**
   * Loads ELMo and the heads (sharing them with the job's operators when they run in this JVM, as
   * in a local MiniCluster) and checks they fit together; the caller closes the returned lease when
   * the job is done.
   *
   * @throws IllegalArgumentException naming the flag and the problem
   */
  public SharedCache.Lease<SharedElmo.Stack> check() {
    try {
      return SharedElmo.acquire(
          source,
          conf.get(SentenceOptions.ELMO_STATEFUL),
          heads,
          conf.get(SentenceOptions.ELMO_SENTIMENT),
          PipelineOptions.ortSettings(conf));
    } catch (ModelPackageException e) {
      throw new IllegalArgumentException("--elmo-heads: " + e.getMessage(), e);
    } catch (RuntimeException e) {
      throw new IllegalArgumentException("--elmo " + source + ": " + e.getMessage(), e);
    }
  }

  /** The ELMo heads package folder. */
  public Path headsFolder() {
    return heads;
  }

  /** The biLM's folder when it is an options.json + weights pair, else empty (an .onnx file). */
  public Optional<Path> elmoFolder() {
    return source.folder();
  }

  /** What runs, for the start-up banner. */
  public String describe() {
    return source.name()
        + " + "
        + heads.getFileName()
        + (conf.get(SentenceOptions.ELMO_STATEFUL) ? " (stateful)" : "")
        + (conf.get(SentenceOptions.ELMO_SENTIMENT) == SentimentHead.SST2
            ? ""
            : " (" + conf.get(SentenceOptions.ELMO_SENTIMENT) + " sentiment)");
  }

  /** Adds the stage after the tagger; {@code tagged} must still be partitioned by streamId. */
  public DataStream<SentenceAnalysis> apply(DataStream<TaggedEvent> tagged) {
    return apply(tagged, null);
  }

  /**
   * As {@link #apply(DataStream)}; with {@code updates} (not null) the stage gets them on a second,
   * broadcast input and swaps its ELMo pair where each ELMo update stands in its input (see {@link
   * SentenceElmo}).
   */
  public DataStream<SentenceAnalysis> apply(
      DataStream<TaggedEvent> tagged, DataStream<ModelUpdate> updates) {
    SentenceElmo.Builder builder =
        SentenceElmo.builder()
            .analyzer(
                ElmoAnalyzer.factory(
                    source,
                    heads,
                    conf.get(SentenceOptions.ELMO_STATEFUL),
                    PipelineOptions.ortSettings(conf),
                    conf.get(SentenceOptions.ELMO_SENTIMENT)))
            .stateful(conf.get(SentenceOptions.ELMO_STATEFUL))
            .embeddings(conf.get(SentenceOptions.ELMO_EMBEDDINGS))
            .maxDelay(conf.get(SentenceOptions.ELMO_MAX_DELAY));
    // Unset sizes stay the builder's defaults, picked by provider where ELMo runs.
    conf.getOptional(SentenceOptions.ELMO_MAX_BUNDLE_TOKENS).ifPresent(builder::maxBundleTokens);
    conf.getOptional(SentenceOptions.ELMO_MAX_BATCH_SIZE).ifPresent(builder::maxBatchSize);
    conf.getOptional(SentenceOptions.ELMO_MAX_BATCH_TOKENS).ifPresent(builder::maxBatchTokens);
    SentenceElmo op = builder.build();
    // Same key as the tagger: keep the chain, no re-shuffle.
    var keyed = DataStreamUtils.reinterpretAsKeyedStream(tagged, e -> e.event.streamId);
    if (updates == null) {
      return keyed
          .transform(
              "sentence-elmo",
              new AvroTypeInfo<>(SentenceAnalysis.class),
              (OneInputStreamOperator<TaggedEvent, SentenceAnalysis>) op)
          .uid("sentence-elmo");
    }
    // Same uid with or without updates: a savepoint restores into either form.
    return keyed
        .connect(updates.broadcast())
        .transform(
            "sentence-elmo",
            new AvroTypeInfo<>(SentenceAnalysis.class),
            (TwoInputStreamOperator<TaggedEvent, ModelUpdate, SentenceAnalysis>) op)
        .uid("sentence-elmo");
  }

  private static Path file(Path root, String flag, String name) {
    Path p = root.resolve(name);
    if (!Files.isRegularFile(p)) {
      throw new IllegalArgumentException(flag + " " + name + ": no such file");
    }
    return p.toAbsolutePath().normalize();
  }

  /**
   * Where a model path given on the command line lies: as given (under {@code root}: the working
   * directory for the launcher) or under {@code $RILLET_HOME}; empty when in neither.
   */
  public static Optional<Path> find(Path root, String name) {
    return ModelLocator.locate(root, name, Files::exists);
  }

  private static Path located(Path root, String flag, String name) {
    Optional<Path> found = find(root, name);
    if (found.isPresent()) {
      return found.get();
    }
    throw new IllegalArgumentException(
        flag
            + " "
            + name
            + ": not found (looked in "
            + ModelLocator.lookedIn(root)
            + "). Point it at the model, or turn the sentence stage off with --elmo none;"
            + " training/README.md says how to regenerate the shipped models.");
  }
}
