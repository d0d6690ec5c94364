package dev.rillet.jobs.eval;

import dev.rillet.jobs.cli.CommandLine;
import dev.rillet.jobs.cli.Rillet;
import dev.rillet.jobs.live.ModelLocator;
import dev.rillet.jobs.live.PipelineOptions;
import dev.rillet.onnx.RecurrentModelManifest;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.configuration.Configuration;

/**
 * {@code rillet eval}: scores a recurrent model package through the live job's operators on UD
 * English EWT (UPOS) and SST-2 (sentiment), prints a table and a confusion summary, and optionally
 * writes a JSON report. See {@link Evaluation} for what is run and {@link EvalReport} for what is
 * printed.
 */
public final class EvalCommand implements Rillet.Command {
  private final PrintStream out;
  private final PrintStream err;

  public EvalCommand() {
    this(System.out, System.err);
  }

  /** A command that prints to the given streams (tests). */
  public EvalCommand(PrintStream out, PrintStream err) {
    this.out = out;
    this.err = err;
  }

  @Override
  public String name() {
    return "eval";
  }

  @Override
  public String summary() {
    return "Evaluate a model package through the live operators: UPOS on UD EWT, SST-2 sentiment.";
  }

  /** Every option, in the order --help lists them. */
  public static List<ConfigOption<?>> options() {
    return List.of(
        PipelineOptions.MODEL,
        EvalOptions.DATA,
        EvalOptions.SPLIT,
        EvalOptions.TASKS,
        EvalOptions.LIMIT,
        EvalOptions.REPORT,
        PipelineOptions.PARALLELISM,
        PipelineOptions.MAX_BUNDLE_TOKENS,
        PipelineOptions.MAX_BATCH_SIZE,
        PipelineOptions.INTRA_OP_THREADS);
  }

  @Override
  public CommandLine commandLine() {
    return new CommandLine(name(), summary(), options());
  }

  @Override
  public int run(Configuration conf) throws Exception {
    long start = System.nanoTime();
    Set<EvalTask> tasks = EvalTask.parseList(conf.get(EvalOptions.TASKS));
    int limit = conf.get(EvalOptions.LIMIT);
    if (limit < 0) {
      throw new IllegalArgumentException("--limit must be >= 0 (0 = everything), got " + limit);
    }
    Path data = dataFolder(conf);
    Evaluation.Settings settings =
        new Evaluation.Settings(data, conf.get(EvalOptions.SPLIT), tasks, limit, limit);
    settings.checkFiles();
    ModelLocator.CheckedModel model = ModelLocator.resolveAndCheck(conf.get(PipelineOptions.MODEL));
    RecurrentModelManifest manifest =
        RecurrentModelManifest.read(model.dir().resolve("manifest.json"));
    if (model.notice() != null) {
      err.println("rillet eval: note: " + model.notice());
    }
    Evaluation.Result result = Evaluation.run(conf, model.dir(), settings);
    EvalReport report =
        new EvalReport(
            model.modelId(),
            model.dir(),
            manifest.purpose(),
            commandLine(conf),
            result,
            (System.nanoTime() - start) / 1e9);
    report.print(out);
    if (conf.contains(EvalOptions.REPORT)) {
      Path file = Path.of(conf.get(EvalOptions.REPORT));
      report.write(file);
      out.println("report written to " + file);
    }
    return 0;
  }

  /** --data if given, else $RILLET_DATA, else the default; then resolved like --model. */
  static Path dataFolder(Configuration conf) {
    String name = conf.get(EvalOptions.DATA);
    if (!conf.contains(EvalOptions.DATA)) {
      String env = System.getenv("RILLET_DATA");
      if (env != null && !env.isBlank()) {
        name = env;
      }
    }
    Path given = Path.of(name);
    if (Files.isDirectory(given)) {
      return given.toAbsolutePath().normalize();
    }
    String home = System.getenv("RILLET_HOME");
    if (!given.isAbsolute() && home != null && Files.isDirectory(Path.of(home).resolve(name))) {
      return Path.of(home).resolve(name).toAbsolutePath().normalize();
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
    for (ConfigOption<?> o : options()) {
      if (conf.contains(o)) {
        b.append(" --").append(o.key()).append(' ').append(quote(conf.toMap().get(o.key())));
      }
    }
    return b.toString();
  }

  private static String quote(String v) {
    return v.matches("[A-Za-z0-9_./:,=@+-]+") ? v : "'" + v.replace("'", "'\\''") + "'";
  }
}
