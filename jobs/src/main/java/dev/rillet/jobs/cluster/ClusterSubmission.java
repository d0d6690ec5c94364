package dev.rillet.jobs.cluster;

import dev.rillet.jobs.cli.CommandContext;
import dev.rillet.jobs.pipeline.ModelLocator;
import dev.rillet.jobs.pipeline.PipelineOptions;
import dev.rillet.jobs.pipeline.SentenceOptions;
import dev.rillet.jobs.pipeline.SentenceStage;
import dev.rillet.jobs.pipeline.StateOptions;
import dev.rillet.kafka.KafkaClientConfig;
import dev.rillet.kafka.KafkaOptions;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.configuration.Configuration;

/**
 * Submits the live job to a Flink session cluster through its REST API: checks the options and
 * model packages here (a mistake fails before anything is uploaded), checks the cluster has the
 * slots, uploads the job jar, runs {@link RilletJob} detached, and waits until every task runs.
 */
public final class ClusterSubmission {
  private static final Duration RUNNING_TIMEOUT = Duration.ofMinutes(2);
  private static final String SAVEPOINT_HINT =
      ". If the savepoint is the problem: --from-savepoint must name a savepoint or retained"
          + " checkpoint of this job (a folder with _metadata) that the cluster can read, taken"
          + " with the same --model and sentence stage; or start without --from-savepoint";

  private ClusterSubmission() {}

  /** What a submission did. */
  public record Submitted(String jobId, String webUi, long submitToRunningMillis) {}

  /**
   * Submits {@code live} with the job options of {@code conf}; returns once every task runs.
   *
   * @param jobOptions the options {@link RilletJob} takes; others in {@code conf} stay here
   */
  public static Submitted submitLive(
      Configuration conf, List<ConfigOption<?>> jobOptions, PrintStream out) throws Exception {
    return submit(conf, "live", jobOptions, out, true);
  }

  /**
   * Submits {@code backfill} with the job options of {@code conf} (which must fix {@code
   * --run-id}); returns once the job runs (a batch job runs stage by stage) or has finished.
   */
  public static Submitted submitBackfill(
      Configuration conf, List<ConfigOption<?>> jobOptions, PrintStream out) throws Exception {
    return submit(conf, "backfill", jobOptions, out, false);
  }

  private static Submitted submit(
      Configuration conf,
      String command,
      List<ConfigOption<?>> jobOptions,
      PrintStream out,
      boolean streaming)
      throws Exception {
    FlinkRestClient rest = new FlinkRestClient(conf.get(ClusterOptions.JOBMANAGER));
    FlinkRestClient.Overview overview = rest.overview();
    int parallelism = conf.get(PipelineOptions.PARALLELISM);
    if (overview.slotsAvailable() < parallelism) {
      throw new IllegalArgumentException(
          "--parallelism "
              + parallelism
              + " needs "
              + parallelism
              + " free task slots; the cluster at "
              + rest.address()
              + " has "
              + overview.slotsAvailable()
              + " free of "
              + overview.slotsTotal()
              + " ("
              + overview.taskManagers()
              + " TaskManagers). Add TaskManagers (./rillet cluster start --taskmanagers 1 adds"
              + " one to a running local cluster), stop a job, or lower --parallelism.");
    }
    List<String> args = new ArrayList<>();
    args.add(command);
    args.addAll(jobArguments(conf, command, jobOptions, out));
    Path jar = jobJar();
    String savepoint = conf.get(StateOptions.FROM_SAVEPOINT);

    long start = System.nanoTime();
    String jarId = rest.uploadJar(jar);
    String jobId;
    try {
      jobId = rest.runJar(jarId, RilletJob.class.getName(), parallelism, args, savepoint);
    } catch (IllegalStateException e) {
      throw new IllegalArgumentException(
          "the cluster refused the job: "
              + e.getMessage()
              + (savepoint == null ? "" : SAVEPOINT_HINT),
          e);
    } finally {
      rest.deleteJar(jarId);
    }
    awaitRunning(rest, jobId, savepoint, streaming);
    long millis = (System.nanoTime() - start) / 1_000_000;
    return new Submitted(jobId, rest.address(), millis);
  }

  /**
   * The job's flags: every job option given, with model paths as the cluster must read them (see
   * {@link #clusterPath}) and the sentence stage's default models spelled out.
   */
  static List<String> jobArguments(
      Configuration conf, String command, List<ConfigOption<?>> jobOptions, PrintStream out) {
    ModelLocator.CheckedModel model = ModelLocator.resolveAndCheck(conf.get(PipelineOptions.MODEL));
    if (model.notice() != null) {
      out.println("rillet " + command + ": note: " + model.notice());
    }
    Configuration job = new Configuration(conf);
    job.set(PipelineOptions.MODEL, clusterPath(conf.get(PipelineOptions.MODEL)));
    String clientConfig = conf.get(KafkaOptions.CLIENT_CONFIG);
    if (clientConfig != null) {
      // Refused here, before anything is submitted, when it cannot be read or sets Rillet's keys;
      // the JobManager reads it again, so it gets the absolute path.
      KafkaClientConfig.from(conf);
      job.set(KafkaOptions.CLIENT_CONFIG, Path.of(clientConfig).toAbsolutePath().toString());
    }
    SentenceStage stage = SentenceStage.resolve(conf);
    if (stage == null) {
      out.println("rillet " + command + ": " + SentenceStage.offReason(conf));
      job.set(SentenceOptions.ELMO, SentenceOptions.NONE);
    } else {
      // Fails here, naming the flag, when the biLM and heads do not fit together.
      try (var check = stage.check()) {
        for (ConfigOption<String> path :
            List.of(
                SentenceOptions.ELMO,
                SentenceOptions.ELMO_HEADS,
                SentenceOptions.ELMO_OPTIONS,
                SentenceOptions.ELMO_WEIGHTS)) {
          String name = conf.get(path);
          if (name != null) {
            job.set(path, clusterPath(name));
          }
        }
      }
    }
    Set<String> keys = Set.copyOf(jobOptions.stream().map(ConfigOption::key).toList());
    List<String> args = new ArrayList<>();
    for (Map.Entry<String, String> e : new TreeMap<>(job.toMap()).entrySet()) {
      if (keys.contains(e.getKey())) {
        args.add("--" + e.getKey());
        args.add(e.getValue());
      }
    }
    return args;
  }

  /**
   * A model path as the cluster's processes must see it. A package of the Rillet installation
   * ({@code models/rillet-gru} under {@code $RILLET_HOME}) stays relative: every cluster resolves
   * it against its own installation (the local cluster's processes share this one; the docker image
   * has its own in /opt/rillet). Any other relative path is a file of this machine and is made
   * absolute, which a cluster on this machine can read; an absolute path is passed as it is.
   */
  static String clusterPath(String name) {
    Path given = Path.of(name);
    String home = System.getenv("RILLET_HOME");
    if (given.isAbsolute() || (home != null && Files.exists(Path.of(home).resolve(name)))) {
      return name;
    }
    return SentenceStage.find(CommandContext.WORKING_DIRECTORY, name)
        .map(Path::toString)
        .orElse(name);
  }

  /** The cluster job jar, built beside the CLI jar ({@code jobs/target/rillet-job.jar}). */
  static Path jobJar() {
    List<Path> candidates = new ArrayList<>();
    try {
      Path cli =
          Path.of(
              ClusterSubmission.class.getProtectionDomain().getCodeSource().getLocation().toURI());
      candidates.add(cli.resolveSibling("rillet-job.jar"));
    } catch (Exception e) {
      // not from a jar (tests): fall through to RILLET_HOME
    }
    String home = System.getenv("RILLET_HOME");
    if (home != null) {
      candidates.add(Path.of(home, "jobs", "target", "rillet-job.jar"));
    }
    return candidates.stream()
        .filter(Files::isRegularFile)
        .findFirst()
        .orElseThrow(
            () ->
                new IllegalStateException(
                    "the cluster job jar is missing (looked at "
                        + candidates
                        + "): build it with `mvn -pl jobs -am package` (./rillet builds it when"
                        + " sources change)"));
  }

  /**
   * Waits until every task of a streaming job runs (a batch job: until it runs or has finished); a
   * job that fails meanwhile is reported with why.
   */
  private static void awaitRunning(
      FlinkRestClient rest, String jobId, String savepoint, boolean streaming)
      throws InterruptedException {
    long deadline = System.nanoTime() + RUNNING_TIMEOUT.toNanos();
    while (true) {
      FlinkRestClient.JobState state = rest.job(jobId);
      if (streaming
          ? state.fullyRunning()
          : state.tasksRunning() > 0 || state.state().equals("FINISHED")) {
        return;
      }
      String failure =
          state.state().equals("RUNNING")
                  || state.state().equals("CREATED")
                  || state.state().equals("INITIALIZING")
              ? null
              : rest.latestFailure(jobId);
      if (failure != null) {
        if (!state.state().equals("FAILED")) {
          rest.cancel(jobId); // else it would restart and fail again, endlessly
        }
        throw new IllegalArgumentException(
            "job "
                + jobId
                + " failed to start and was "
                + (state.state().equals("FAILED") ? "stopped" : "cancelled")
                + ": "
                + failure
                + (savepoint == null ? "" : SAVEPOINT_HINT));
      }
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException(
            "job "
                + jobId
                + " was not running within "
                + RUNNING_TIMEOUT.toSeconds()
                + " s (state "
                + state.state()
                + ", "
                + state.tasksRunning()
                + " of "
                + state.tasks()
                + " tasks running); see "
                + rest.address()
                + "/#/job/running/"
                + jobId);
      }
      Thread.sleep(200); // polling the REST API for the job's state
    }
  }
}
