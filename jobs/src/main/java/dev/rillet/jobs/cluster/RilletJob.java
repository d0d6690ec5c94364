package dev.rillet.jobs.cluster;

import dev.rillet.jobs.cli.CommandLine;
import dev.rillet.jobs.pipeline.BackfillJob;
import dev.rillet.jobs.pipeline.BackfillOptions;
import dev.rillet.jobs.pipeline.LiveEnvironment;
import dev.rillet.jobs.pipeline.LiveJob;
import dev.rillet.jobs.pipeline.ModelLocator;
import dev.rillet.jobs.pipeline.PipelineOptions;
import dev.rillet.kafka.KafkaOptions;
import java.util.Arrays;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;

/**
 * Entry class of the cluster job jar ({@code jobs/target/rillet-job.jar}, also its {@code
 * Main-Class}): {@code live} or {@code backfill}, followed by the flags of {@code ./rillet live} or
 * {@code ./rillet backfill}, e.g.
 *
 * <pre>{@code
 * flink run -d rillet-job.jar live --bootstrap-servers kafka:9092 --parallelism 2
 * }</pre>
 *
 * <p>Flink runs this {@code main} in the {@code flink run} client or, for a REST submission, in the
 * JobManager; both need ONNX Runtime on their class path (the cluster's {@code lib/}) because the
 * model package is checked here, before the job is submitted. Model paths name files that every
 * TaskManager can read at the same path. Client-side flags of {@code ./rillet live} (a local state
 * folder, metrics port, idle stop) do not apply to a cluster job and are refused. A backfill needs
 * {@code --run-id} (its transactional ids; {@code ./rillet backfill --jobmanager} fixes one) and
 * its output topics to exist.
 */
public final class RilletJob {
  private RilletJob() {}

  public static void main(String[] args) throws Exception {
    String command = args.length == 0 ? "" : args[0];
    String[] flags = args.length == 0 ? args : Arrays.copyOfRange(args, 1, args.length);
    switch (command) {
      case "live" -> live(new CommandLine("live", "", LiveJob.options()).parse(flags));
      case "backfill" ->
          BackfillJob.runOnCluster(
              new CommandLine("backfill", "", BackfillOptions.all()).parse(flags));
      default ->
          throw new IllegalArgumentException(
              "usage: RilletJob live|backfill [flags of ./rillet live|backfill --help]; got "
                  + (command.isEmpty() ? "no arguments" : "'" + command + "'"));
    }
  }

  private static void live(Configuration conf) throws Exception {
    if (!conf.contains(KafkaOptions.BOOTSTRAP_SERVERS)) {
      throw new IllegalArgumentException("--bootstrap-servers is required");
    }
    ModelLocator.CheckedModel model = ModelLocator.resolveAndCheck(conf.get(PipelineOptions.MODEL));
    StreamExecutionEnvironment env = LiveEnvironment.create(conf);
    LiveJob.buildLive(env, conf, model.dir());
    env.execute("rillet-live " + model.modelId());
  }
}
