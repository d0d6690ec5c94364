package dev.rillet.jobs.live;

import dev.rillet.jobs.cli.Command;
import dev.rillet.jobs.cli.CommandContext;
import dev.rillet.jobs.cluster.ClusterOptions;
import dev.rillet.jobs.cluster.ClusterSubmission;
import dev.rillet.jobs.pipeline.LiveEnvironment;
import dev.rillet.jobs.pipeline.LiveJob;
import dev.rillet.jobs.pipeline.ModelLocator;
import dev.rillet.jobs.pipeline.PipelineOptions;
import dev.rillet.jobs.pipeline.SentenceStage;
import dev.rillet.jobs.pipeline.StateDirectory;
import dev.rillet.jobs.pipeline.StateOptions;
import dev.rillet.kafka.KafkaClientConfig;
import dev.rillet.kafka.KafkaOptions;
import java.io.PrintStream;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.configuration.ConfigOptions;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.core.execution.SavepointFormatType;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.util.TimeUtils;

/** {@code rillet live}: runs the live job against a Kafka cluster until cancelled. */
public final class LiveCommand implements Command {
  @Override
  public String name() {
    return "live";
  }

  @Override
  public String summary() {
    return "Run the live job: Kafka text topic -> per-token tags, running sentiment and"
        + " per-sentence ELMo analysis -> Kafka.";
  }

  public static final ConfigOption<Duration> STOP_WHEN_IDLE =
      ConfigOptions.key("stop-when-idle")
          .durationType()
          .defaultValue(Duration.ZERO)
          .withDescription(
              "Stop the job cleanly (a final savepoint commits its last transaction) once the input"
                  + " topic has had no new records and the job has committed everything it read for"
                  + " this long, e.g. PT10S; give it at least a few checkpoint intervals. The"
                  + " savepoint goes to the state directory. 0 runs until stopped.");

  /**
   * Every option of {@code rillet live}: the job's ({@link LiveJob#options}), then where and how it
   * runs (local state, or a cluster).
   */
  @Override
  public List<ConfigOption<?>> options() {
    List<ConfigOption<?>> options = new ArrayList<>(LiveJob.options());
    options.addAll(StateOptions.all());
    options.add(STOP_WHEN_IDLE);
    options.add(ClusterOptions.JOBMANAGER);
    return options;
  }

  @Override
  public int run(CommandContext context, Configuration conf) throws Exception {
    if (!conf.contains(KafkaOptions.BOOTSTRAP_SERVERS)) {
      throw new IllegalArgumentException(
          "--bootstrap-servers is required: the Kafka cluster to read from and write to"
              + " (for a local broker, start one with ./rillet kafka)");
    }
    // A bad --kafka-config fails here, before a state directory is made or a job is submitted.
    KafkaClientConfig.from(conf);
    if (conf.contains(ClusterOptions.JOBMANAGER)) {
      return submit(conf, context.out());
    }
    ModelLocator.CheckedModel model =
        ModelLocator.resolveAndCheck(context.modelRoot(), conf.get(PipelineOptions.MODEL));
    if (model.notice() != null) {
      context.err().println("rillet live: note: " + model.notice());
    }
    SentenceStage stage = SentenceStage.resolve(conf);
    if (stage == null) {
      context.err().println("rillet live: " + SentenceStage.offReason(conf));
    }
    StateDirectory state = new StateDirectory(Path.of(conf.get(StateOptions.STATE_DIR)));
    String restoreFrom = restorePoint(conf, state, context.err());
    Files.createDirectories(state.root());
    Configuration flink =
        LiveEnvironment.durableState(state, conf.get(StateOptions.STATE_BACKEND), restoreFrom);
    int metricsPort = conf.get(StateOptions.METRICS_PORT);
    if (metricsPort > 0) {
      flink.addAll(LiveEnvironment.prometheus(metricsPort));
    }
    // Loaded once here to fail fast; on a local MiniCluster the operators share this copy.
    try (var elmo = stage == null ? null : stage.check()) {
      StreamExecutionEnvironment env = LiveEnvironment.create(conf, flink);
      LiveJob.buildLive(env, conf, model.dir());
      JobClient client = env.executeAsync("rillet-live");
      context
          .err()
          .println(
              "rillet live: job "
                  + client.getJobID()
                  + " running ("
                  + conf.get(StateOptions.STATE_BACKEND)
                  + " state, checkpoints in "
                  + state.checkpoints()
                  + "); SIGTERM or Ctrl-C stops it with a savepoint");
      if (metricsPort > 0) {
        context
            .err()
            .println(
                "rillet live: metrics for Prometheus at http://localhost:"
                    + metricsPort
                    + "/metrics");
      }
      return runUntilStopped(client, conf, state, context.err());
    }
  }

  /** Submits the job to the cluster at {@code --jobmanager}, detached. */
  private static int submit(Configuration conf, PrintStream out) throws Exception {
    for (ConfigOption<?> local :
        List.of(
            STOP_WHEN_IDLE,
            StateOptions.STATE_DIR,
            StateOptions.STATE_BACKEND,
            StateOptions.FRESH,
            StateOptions.METRICS_PORT)) {
      if (conf.contains(local)) {
        throw new IllegalArgumentException(
            "--"
                + local.key()
                + " applies to runs in this process, not with --jobmanager: a cluster job's state"
                + " backend, checkpoints and metrics come from the cluster's configuration, and"
                + " ./rillet stop stops it with a savepoint");
      }
    }
    ClusterSubmission.Submitted job = ClusterSubmission.submitLive(conf, LiveJob.options(), out);
    out.println(
        "rillet live: job "
            + job.jobId()
            + " running on "
            + job.webUi()
            + " (submitted and all tasks running after "
            + job.submitToRunningMillis()
            + " ms)");
    out.println("  web UI: " + job.webUi() + "/#/job/running/" + job.jobId());
    out.println(
        "  stop with a savepoint: ./rillet stop --jobmanager "
            + conf.get(ClusterOptions.JOBMANAGER)
            + " --job "
            + job.jobId());
    return 0;
  }

  /**
   * What the run restores from: {@code --from-savepoint}, else (unless {@code --fresh}) the latest
   * completed checkpoint or savepoint in the state directory, else nothing. Says which on {@code
   * err}.
   */
  static String restorePoint(Configuration conf, StateDirectory state, PrintStream err) {
    boolean fresh = conf.get(StateOptions.FRESH);
    if (conf.contains(StateOptions.FROM_SAVEPOINT)) {
      if (fresh) {
        throw new IllegalArgumentException(
            "--fresh and --from-savepoint contradict each other: give one of them");
      }
      String given = conf.get(StateOptions.FROM_SAVEPOINT);
      Path local = localPath(given);
      if (local != null && local.getFileName() != null) {
        if (local.getFileName().toString().equals(StateDirectory.METADATA)) {
          local = local.getParent();
        }
        if (!StateDirectory.isCompleted(local)) {
          throw new IllegalArgumentException(
              "--from-savepoint "
                  + given
                  + ": no completed savepoint or checkpoint there (a folder holding "
                  + StateDirectory.METADATA
                  + ")");
        }
        given = local.toAbsolutePath().normalize().toString();
      }
      err.println("rillet live: restoring from " + given + " (--from-savepoint)");
      return given;
    }
    List<StateDirectory.Snapshot> completed = state.completed();
    if (fresh) {
      err.println(
          "rillet live: --fresh: starting over with empty state"
              + (completed.isEmpty()
                  ? ""
                  : ", ignoring the "
                      + completed.size()
                      + " completed checkpoint(s)/savepoint(s) in "
                      + state.root())
              + "; the input is read from --starting-offsets "
              + conf.get(KafkaOptions.STARTING_OFFSETS)
              + ", so outputs of earlier runs may be repeated downstream");
      return null;
    }
    if (completed.isEmpty()) {
      err.println(
          "rillet live: starting fresh: "
              + state.root()
              + " holds no completed checkpoint or savepoint");
      return null;
    }
    StateDirectory.Snapshot latest = completed.get(completed.size() - 1);
    err.println(
        "rillet live: resuming from "
            + latest.kind()
            + " "
            + latest.path()
            + " (completed "
            + latest.completed()
            + ")");
    return latest.path().toString();
  }

  /** The local file system path of {@code location} (a path or file: URI), else null. */
  private static Path localPath(String location) {
    if (location.startsWith("file:")) {
      return Path.of(URI.create(location));
    }
    if (location.matches("^[a-zA-Z][a-zA-Z0-9+.-]+://.*")) {
      return null; // s3://, hdfs://: Flink reads it, we cannot check it here
    }
    return Path.of(location);
  }

  /**
   * Waits for the job: until it ends on its own, until a signal stops it with a savepoint, or (with
   * {@code --stop-when-idle}) until its input is idle, then stops it with a savepoint. Savepoints
   * go to the state directory.
   */
  private static int runUntilStopped(
      JobClient client, Configuration conf, StateDirectory state, PrintStream err)
      throws Exception {
    String savepoints = state.savepoints().toUri().toString();
    Duration idle = conf.get(STOP_WHEN_IDLE);
    boolean watchIdle = !idle.isZero() && !idle.isNegative();
    try (SavepointOnSignal signals = SavepointOnSignal.install(client, savepoints, err);
        InputIdleWatcher watcher =
            watchIdle
                ? new InputIdleWatcher(
                    KafkaClientConfig.from(conf),
                    conf.get(KafkaOptions.BOOTSTRAP_SERVERS),
                    conf.get(KafkaOptions.INPUT_TOPIC),
                    conf.get(KafkaOptions.GROUP_ID))
                : null) {
      var result = client.getJobExecutionResult();
      while (true) {
        boolean finished = false;
        try {
          result.get(1, TimeUnit.SECONDS);
          finished = true;
        } catch (TimeoutException stillRunning) {
          // keep waiting
        }
        if (signals.signal() != null && (finished || signals.savepoint().isDone())) {
          return stoppedBySignal(client, signals, state, err);
        }
        if (finished) {
          return 0; // a bounded source ended
        }
        if (watcher != null
            && signals.signal() == null
            && watcher.idleMillis(System.currentTimeMillis()) >= idle.toMillis()) {
          break;
        }
      }
    }
    String savepoint =
        client
            .stopWithSavepoint(false, savepoints, SavepointFormatType.CANONICAL)
            .get(5, TimeUnit.MINUTES);
    err.println(
        "rillet live: input idle for "
            + TimeUtils.formatWithHighestUnit(idle)
            + ", stopped; savepoint at "
            + localPathOrSelf(savepoint));
    return 0;
  }

  private static int stoppedBySignal(
      JobClient client, SavepointOnSignal signals, StateDirectory state, PrintStream err)
      throws Exception {
    try {
      String savepoint = signals.savepoint().get(5, TimeUnit.MINUTES);
      err.println(
          "rillet live: "
              + signals.signal()
              + ": stopped; savepoint at "
              + localPathOrSelf(savepoint)
              + "; start again with --state-dir "
              + state.root()
              + " to resume from it");
      return 0;
    } catch (ExecutionException | TimeoutException e) {
      Throwable cause = e instanceof ExecutionException ? e.getCause() : e;
      err.println(
          "rillet live: "
              + signals.signal()
              + ": the savepoint failed ("
              + cause
              + "); cancelling the job. The latest completed checkpoint in "
              + state.checkpoints()
              + " is kept and a restart resumes from it");
      try {
        client.cancel().get(1, TimeUnit.MINUTES);
      } catch (Exception alreadyGone) {
        // the job ended already
      }
      return 1;
    }
  }

  private static String localPathOrSelf(String location) {
    Path local = location == null ? null : localPath(location);
    return local == null ? location : local.toString();
  }
}
