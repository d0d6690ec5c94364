package dev.rillet.jobs.eval;

import dev.rillet.elmo.EmbeddingsMode;
import dev.rillet.elmo.runtime.ElmoHeads;
import dev.rillet.elmo.runtime.SentimentHead;
import dev.rillet.elmo.runtime.SharedElmo;
import dev.rillet.jobs.cli.Command;
import dev.rillet.jobs.cli.CommandContext;
import dev.rillet.jobs.pipeline.ModelLocator;
import dev.rillet.jobs.pipeline.PipelineOptions;
import dev.rillet.jobs.pipeline.SentenceOptions;
import dev.rillet.jobs.pipeline.SentenceStage;
import dev.rillet.onnx.RecurrentModelManifest;
import dev.rillet.onnx.SharedCache;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.configuration.Configuration;

/**
 * {@code rillet eval}: scores a recurrent model package through the live job's operators on UD
 * English EWT (UPOS) and SST-2 (sentiment) and, when the ELMo sentence stage is available, the ELMo
 * task heads after it on UPOS, SST-2 and SST-5; prints a table with a row per model and task, the
 * heads' differences from the recurrent model, and confusion summaries, and optionally writes a
 * JSON report. See {@link Evaluation} and {@link ElmoEvaluation} for what is run, {@link
 * EvalReport} for what is reported and {@link EvalReportText} for how it is printed.
 *
 * <p>The sentence stage takes the live job's flags ({@link SentenceOptions}) except {@code
 * --elmo-sentiment} (each sentiment task uses its own head) and {@code --elmo-embeddings} (scores
 * do not need them). When no ELMo flag is given and the default biLM ({@code models/elmo-bilm}) is
 * not there, only the recurrent model is scored, with a one-line note; a biLM path given on the
 * command line that does not exist is an error.
 */
public final class EvalCommand implements Command {
  @Override
  public String name() {
    return "eval";
  }

  @Override
  public String summary() {
    return "Evaluate a model package (and the ELMo heads) through the live operators: UPOS on UD"
        + " EWT, SST-2 and SST-5 sentiment.";
  }

  /** Every option, in the order --help lists them. */
  private static final List<ConfigOption<?>> OPTIONS =
      List.of(
          PipelineOptions.MODEL,
          EvalOptions.DATA,
          EvalOptions.SPLIT,
          EvalOptions.TASKS,
          EvalOptions.LIMIT,
          EvalOptions.REPORT,
          EvalOptions.MODEL_CARD,
          SentenceOptions.ELMO,
          SentenceOptions.ELMO_OPTIONS,
          SentenceOptions.ELMO_WEIGHTS,
          SentenceOptions.ELMO_HEADS,
          SentenceOptions.ELMO_STATEFUL,
          PipelineOptions.PARALLELISM,
          PipelineOptions.MAX_BUNDLE_TOKENS,
          PipelineOptions.MAX_BATCH_SIZE,
          PipelineOptions.INTRA_OP_THREADS,
          PipelineOptions.EXECUTION_PROVIDER,
          SentenceOptions.ELMO_MAX_BUNDLE_TOKENS,
          SentenceOptions.ELMO_MAX_BATCH_SIZE,
          SentenceOptions.ELMO_MAX_BATCH_TOKENS,
          SentenceOptions.ELMO_MAX_DELAY);

  @Override
  public List<ConfigOption<?>> options() {
    return OPTIONS;
  }

  @Override
  public int run(CommandContext context, Configuration conf) throws Exception {
    long start = System.nanoTime();
    Set<EvalTask> tasks = EvalTask.parseList(conf.get(EvalOptions.TASKS));
    int limit = conf.get(EvalOptions.LIMIT);
    if (limit < 0) {
      throw new IllegalArgumentException("--limit must be >= 0 (0 = everything), got " + limit);
    }
    if (conf.get(EvalOptions.MODEL_CARD)
        && (conf.get(EvalOptions.SPLIT) != Evaluation.Split.TEST || limit != 0)) {
      throw new IllegalArgumentException(
          "--model-card writes reported figures: run it on --split test without --limit");
    }
    Path data = dataFolder(conf, context.modelRoot());
    Evaluation.Settings settings =
        new Evaluation.Settings(data, conf.get(EvalOptions.SPLIT), tasks, limit, limit);
    settings.checkFiles();
    ModelLocator.CheckedModel model =
        ModelLocator.resolveAndCheck(context.modelRoot(), conf.get(PipelineOptions.MODEL));
    RecurrentModelManifest manifest =
        RecurrentModelManifest.read(model.dir().resolve("manifest.json"));
    PrintStream err = context.err();
    if (model.notice() != null) {
      note(err, model.notice());
    }
    // Fail before loading ELMo (slow) when the recurrent model cannot be scored on SST-2.
    Evaluation.sentimentLabels(model.dir(), settings);

    SentenceStage stage = sentenceStage(conf, context);
    if (stage == null) {
      if (tasks.contains(EvalTask.SST5)) {
        requireMore(tasks, "the sentence stage is off");
        note(
            err,
            "sst5 is scored by the ELMo heads' 5-class head only, and the sentence stage is off:"
                + " skipped");
      }
      return finish(context, conf, start, model, manifest, settings, null, null);
    }
    try (SharedCache.Lease<SharedElmo.Stack> lease = stage.check()) {
      ElmoHeads heads = lease.get().heads();
      if (tasks.contains(EvalTask.SST2)) {
        try {
          SentimentLabels.of(heads.sentimentLabels());
        } catch (IllegalArgumentException e) {
          throw new IllegalArgumentException(
              "--elmo-heads " + heads.id() + ": " + e.getMessage(), e);
        }
      }
      ElmoEvaluation.Stage binary = new ElmoEvaluation.Stage(stage, heads);
      if (!tasks.contains(EvalTask.SST5)) {
        return finish(context, conf, start, model, manifest, settings, binary, null);
      }
      if (!heads.hasSentiment5()) {
        requireMore(tasks, "the heads " + heads.id() + " have no 5-class sentiment head");
        note(
            err,
            "the heads "
                + heads.id()
                + " have no 5-class sentiment head (sentiment5Labels):"
                + " sst5 skipped");
        return finish(context, conf, start, model, manifest, settings, binary, null);
      }
      settings.checkSst5File();
      SentenceStage stage5 =
          SentenceStage.resolve(stageConf(conf, SentimentHead.SST5), context.modelRoot());
      try (SharedCache.Lease<SharedElmo.Stack> lease5 = stage5.check()) {
        ElmoEvaluation.sst5Labels(lease5.get().heads());
        return finish(
            context,
            conf,
            start,
            model,
            manifest,
            settings,
            binary,
            new ElmoEvaluation.Stage(stage5, lease5.get().heads()));
      }
    }
  }

  /** Runs what is to be run, prints the report and writes it when asked to. */
  private static int finish(
      CommandContext context,
      Configuration conf,
      long start,
      ModelLocator.CheckedModel model,
      RecurrentModelManifest manifest,
      Evaluation.Settings settings,
      ElmoEvaluation.Stage binary,
      ElmoEvaluation.Stage fiveClass)
      throws Exception {
    Evaluation.Data data = Evaluation.Data.read(settings, fiveClass != null);
    Evaluation.Result result = Evaluation.run(conf, model.dir(), settings, data);
    ElmoEvaluation.Result elmo =
        binary == null ? null : ElmoEvaluation.run(conf, model.dir(), binary, fiveClass, data);
    EvalReport report =
        new EvalReport(
            model.modelId(),
            model.dir(),
            manifest.purpose(),
            commandLine(conf),
            result,
            elmo,
            (System.nanoTime() - start) / 1e9);
    PrintStream out = context.out();
    EvalReportText.print(report, out);
    if (conf.contains(EvalOptions.REPORT)) {
      Path file = Path.of(conf.get(EvalOptions.REPORT));
      EvalReportJson.write(report, file);
      out.println("report written to " + file);
    }
    if (conf.get(EvalOptions.MODEL_CARD)) {
      List<Path> folders = new ArrayList<>();
      folders.add(model.dir());
      if (binary != null) {
        folders.add(binary.stage().headsFolder());
        binary.stage().elmoFolder().ifPresent(folders::add);
      }
      String section = EvalReportMarkdown.modelCardSection(report);
      for (Path folder : folders) {
        Path card = folder.resolve("MODEL.md");
        if (!folder.equals(model.dir()) && !Files.isRegularFile(card)) {
          note(
              context.err(),
              "no " + card + " (not a Rillet package, e.g. published ELMo files): not written");
          continue;
        }
        ModelCardSection.write(card, section);
        out.println("model card updated: " + card);
      }
    }
    return 0;
  }

  private static void note(PrintStream err, String line) {
    err.println("rillet eval: note: " + line);
  }

  /** Fails when SST-5 was the only task asked for and {@code why} it cannot be scored. */
  private static void requireMore(Set<EvalTask> tasks, String why) {
    if (tasks.equals(Set.of(EvalTask.SST5))) {
      throw new IllegalArgumentException(
          "--tasks sst5: only the ELMo heads' 5-class head scores SST-5, and "
              + why
              + "; point --elmo and --elmo-heads at a biLM and heads trained with SST-5");
    }
  }

  /**
   * The binary-sentiment sentence stage the options ask for; null when it is off ({@code --elmo
   * none}) or when no ELMo flag was given and the default biLM is not installed (with a note).
   *
   * @throws IllegalArgumentException naming the flag when a path given on the command line does not
   *     exist
   */
  static SentenceStage sentenceStage(Configuration conf, CommandContext context) {
    Path root = context.modelRoot();
    SentenceStage stage = SentenceStage.resolve(stageConf(conf, SentimentHead.SST2), root);
    if (stage == null && SentenceStage.defaultModelsMissing(conf, root)) {
      note(
          context.err(),
          SentenceStage.offReason(conf, root) + "; scoring the recurrent model only");
    }
    return stage;
  }

  /**
   * The options for a stage serving {@code head}; embeddings off, since scoring does not read them.
   */
  static Configuration stageConf(Configuration conf, SentimentHead head) {
    Configuration c = new Configuration(conf);
    c.set(SentenceOptions.ELMO_SENTIMENT, head);
    c.set(SentenceOptions.ELMO_EMBEDDINGS, EmbeddingsMode.OFF);
    return c;
  }

  /** --data if given, else $RILLET_DATA, else the default; then resolved like --model. */
  static Path dataFolder(Configuration conf, Path root) {
    String name = conf.get(EvalOptions.DATA);
    if (!conf.contains(EvalOptions.DATA)) {
      String env = System.getenv("RILLET_DATA");
      if (env != null && !env.isBlank()) {
        name = env;
      }
    }
    Optional<Path> found = ModelLocator.locate(root, name, Files::isDirectory);
    if (found.isPresent()) {
      return found.get();
    }
    throw new IllegalArgumentException(
        "--data "
            + name
            + ": no such folder; point --data (or RILLET_DATA) at the shared data folder with"
            + " ud-ewt/ and sst/, e.g. --data ../shared/data");
  }

  /** The flags given, in --help order, as a command a user can paste. */
  static String commandLine(Configuration conf) {
    StringBuilder b = new StringBuilder("./rillet eval");
    for (ConfigOption<?> o : OPTIONS) {
      if (conf.contains(o)) {
        String value = conf.toMap().get(o.key());
        b.append(" --").append(o.key());
        if (!(value.equals("true") && o.defaultValue() instanceof Boolean)) {
          b.append(' ').append(quote(value)); // a true boolean is a bare flag, as users type it
        }
      }
    }
    return b.toString();
  }

  private static String quote(String v) {
    return v.matches("[A-Za-z0-9_./:,=@+-]+") ? v : "'" + v.replace("'", "'\\''") + "'";
  }
}
