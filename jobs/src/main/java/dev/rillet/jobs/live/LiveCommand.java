package dev.rillet.jobs.live;

import dev.rillet.jobs.cli.CommandLine;
import dev.rillet.jobs.cli.Rillet;
import dev.rillet.jobs.cluster.ClusterOptions;
import dev.rillet.jobs.cluster.ClusterSubmission;
import dev.rillet.jobs.cluster.RilletJob;
import dev.rillet.kafka.KafkaOptions;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
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
public final class LiveCommand implements Rillet.Command {
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
                  + " this long, e.g. PT10S; give it at least a few checkpoint intervals. 0 runs"
                  + " until cancelled.");

  /**
   * The options that make the job itself: Kafka endpoints and topics, then the pipeline's own. A
   * cluster job ({@link RilletJob}) takes exactly these.
   */
  public static List<ConfigOption<?>> jobOptions() {
    List<ConfigOption<?>> options = new ArrayList<>(KafkaOptions.all());
    options.addAll(PipelineOptions.all());
    options.addAll(SentenceOptions.all());
    return options;
  }

  /** Every option of {@code rillet live}: the job's, then where and how it runs. */
  public static List<ConfigOption<?>> options() {
    List<ConfigOption<?>> options = new ArrayList<>(jobOptions());
    options.add(STOP_WHEN_IDLE);
    options.add(ClusterOptions.JOBMANAGER);
    options.add(ClusterOptions.FROM_SAVEPOINT);
    return options;
  }

  @Override
  public CommandLine commandLine() {
    return new CommandLine(name(), summary(), options());
  }

  @Override
  public int run(Configuration conf) throws Exception {
    if (!conf.contains(KafkaOptions.BOOTSTRAP_SERVERS)) {
      throw new IllegalArgumentException(
          "--bootstrap-servers is required: the Kafka cluster to read from and write to"
              + " (for a local broker, start one with ./rillet kafka)");
    }
    if (conf.contains(ClusterOptions.JOBMANAGER)) {
      return submit(conf);
    }
    ModelLocator.CheckedModel model = ModelLocator.resolveAndCheck(conf.get(PipelineOptions.MODEL));
    if (model.notice() != null) {
      System.err.println("rillet live: note: " + model.notice());
    }
    SentenceStage stage = SentenceStage.resolve(conf);
    if (stage == null) {
      System.err.println("rillet live: " + SentenceStage.offReason(conf));
    }
    // Loaded once here to fail fast; on a local MiniCluster the operators share this copy.
    try (var elmo = stage == null ? null : stage.check()) {
      StreamExecutionEnvironment env = LiveEnvironment.create(conf);
      LiveJob.build(env, conf, model.dir(), LiveJob.liveSource(conf));
      Duration idle = conf.get(STOP_WHEN_IDLE);
      if (idle.isZero() || idle.isNegative()) {
        env.execute("rillet-live");
        return 0;
      }
      return runUntilIdle(env, conf, idle);
    }
  }

  /** Submits the job to the cluster at {@code --jobmanager}, detached. */
  private static int submit(Configuration conf) throws Exception {
    if (conf.contains(STOP_WHEN_IDLE)) {
      throw new IllegalArgumentException(
          "--stop-when-idle applies to local runs; stop a cluster job with ./rillet stop");
    }
    ClusterSubmission.Submitted job = ClusterSubmission.submitLive(conf, jobOptions(), System.out);
    System.out.println(
        "rillet live: job "
            + job.jobId()
            + " running on "
            + job.webUi()
            + " (submitted and all tasks running after "
            + job.submitToRunningMillis()
            + " ms)");
    System.out.println("  web UI: " + job.webUi() + "/#/job/running/" + job.jobId());
    System.out.println(
        "  stop with a savepoint: ./rillet stop --jobmanager "
            + conf.get(ClusterOptions.JOBMANAGER)
            + " --job "
            + job.jobId());
    return 0;
  }

  /** Runs the job until its input is idle for {@code idle}, then stops it with a savepoint. */
  private static int runUntilIdle(StreamExecutionEnvironment env, Configuration conf, Duration idle)
      throws Exception {
    JobClient client = env.executeAsync("rillet-live");
    try (InputIdleWatcher watcher =
        new InputIdleWatcher(
            conf.get(KafkaOptions.BOOTSTRAP_SERVERS),
            conf.get(KafkaOptions.INPUT_TOPIC),
            conf.get(KafkaOptions.GROUP_ID))) {
      var result = client.getJobExecutionResult();
      while (true) {
        try {
          result.get(1, TimeUnit.SECONDS);
          return 0; // finished on its own (a bounded source)
        } catch (TimeoutException stillRunning) {
          if (watcher.idleMillis(System.currentTimeMillis()) >= idle.toMillis()) {
            break;
          }
        }
      }
    }
    Path savepoints = Files.createTempDirectory("rillet-live-savepoints");
    String savepoint =
        client
            .stopWithSavepoint(false, savepoints.toUri().toString(), SavepointFormatType.CANONICAL)
            .get(5, TimeUnit.MINUTES);
    System.err.println(
        "rillet live: input idle for "
            + TimeUtils.formatWithHighestUnit(idle)
            + ", stopped; savepoint at "
            + savepoint);
    return 0;
  }
}
