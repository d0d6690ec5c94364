package dev.rillet.jobs.backfill;

import dev.rillet.jobs.cli.Command;
import dev.rillet.jobs.cli.CommandContext;
import dev.rillet.jobs.cluster.ClusterOptions;
import dev.rillet.jobs.cluster.ClusterSubmission;
import dev.rillet.jobs.pipeline.BackfillEnvironment;
import dev.rillet.jobs.pipeline.BackfillJob;
import dev.rillet.jobs.pipeline.BackfillOptions;
import dev.rillet.jobs.pipeline.BackfillRange;
import dev.rillet.jobs.pipeline.SentenceStage;
import dev.rillet.kafka.KafkaOptions;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.configuration.Configuration;

/**
 * {@code rillet backfill}: re-runs the live job's operators over a past time range of the input
 * topic (or a file), in Flink BATCH mode, and writes the outputs for [from, to) to the backfill
 * topics, exactly once: here ({@link BackfillJob#run}) or on the cluster at {@code --jobmanager}.
 * See {@link BackfillEnvironment} for why the outputs equal the live job's.
 */
public final class BackfillCommand implements Command {
  @Override
  public String name() {
    return "backfill";
  }

  @Override
  public String summary() {
    return "Re-run the pipeline over a past time range of the input topic (or a file), like live.";
  }

  @Override
  public List<ConfigOption<?>> options() {
    List<ConfigOption<?>> options = new ArrayList<>(BackfillOptions.all());
    options.add(ClusterOptions.JOBMANAGER);
    return options;
  }

  @Override
  public int run(CommandContext context, Configuration conf) throws Exception {
    if (conf.contains(ClusterOptions.JOBMANAGER)) {
      return submit(conf, context.out());
    }
    BackfillJob.run(conf, context.out(), System.console() != null);
    return 0;
  }

  /**
   * Submits the backfill to the cluster at {@code --jobmanager}: checks the range and models here,
   * creates the output topics, fixes the run id (the transactional ids of its sinks) and returns
   * once the job runs. The job finishes on its own at the end of the range.
   */
  private static int submit(Configuration conf, PrintStream out) throws Exception {
    BackfillRange range = BackfillRange.of(conf, Instant.now());
    if (!conf.contains(KafkaOptions.BOOTSTRAP_SERVERS)) {
      throw new IllegalArgumentException(
          "--bootstrap-servers is required: the Kafka cluster with the input and output topics");
    }
    Configuration given = new Configuration(conf);
    String runId = BackfillJob.runId(conf);
    given.set(BackfillOptions.RUN_ID, runId);
    String inputFile = conf.get(BackfillOptions.INPUT_FILE);
    if (inputFile != null) {
      // Read where the job's main runs (the JobManager): a file of this machine, by its full path.
      given.set(BackfillOptions.INPUT_FILE, Path.of(inputFile).toAbsolutePath().toString());
    }
    Configuration job = BackfillJob.outputConfig(given, "rillet-backfill-" + runId);
    List<String> topics = BackfillJob.outputTopics(job, SentenceStage.resolve(job) != null);
    BackfillJob.createMissingTopics(job, topics);
    ClusterSubmission.Submitted s =
        ClusterSubmission.submitBackfill(given, BackfillOptions.all(), out);
    out.println(
        "rillet backfill: job "
            + s.jobId()
            + " (run "
            + runId
            + ") on "
            + s.webUi()
            + ", "
            + range
            + " -> "
            + String.join(", ", topics)
            + "; it finishes at the end of the range. Progress: "
            + s.webUi()
            + "/#/job/running/"
            + s.jobId());
    return 0;
  }
}
