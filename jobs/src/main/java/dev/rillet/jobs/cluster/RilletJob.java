package dev.rillet.jobs.cluster;

import dev.rillet.jobs.cli.CommandLine;
import dev.rillet.jobs.live.LiveCommand;
import dev.rillet.jobs.live.LiveEnvironment;
import dev.rillet.jobs.live.LiveJob;
import dev.rillet.jobs.live.ModelLocator;
import dev.rillet.jobs.live.PipelineOptions;
import dev.rillet.kafka.KafkaOptions;
import java.util.Arrays;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;

/**
 * Entry class of the cluster job jar ({@code jobs/target/rillet-job.jar}, also its {@code
 * Main-Class}): {@code live} followed by the flags of {@code ./rillet live}, e.g.
 *
 * <pre>{@code
 * flink run -d rillet-job.jar live --bootstrap-servers kafka:9092 --parallelism 2
 * }</pre>
 *
 * <p>Flink runs this {@code main} in the {@code flink run} client or, for a REST submission, in the
 * JobManager; both need ONNX Runtime on their class path (the cluster's {@code lib/}) because the
 * model package is checked here, before the job is submitted. Model paths name files that every
 * TaskManager can read at the same path. Client-side flags of {@code ./rillet live} (a local state
 * folder, metrics port, idle stop) do not apply to a cluster job and are refused.
 */
public final class RilletJob {
  private RilletJob() {}

  public static void main(String[] args) throws Exception {
    if (args.length == 0 || !args[0].equals("live")) {
      throw new IllegalArgumentException(
          "usage: RilletJob live [flags of ./rillet live --help]; got "
              + (args.length == 0 ? "no arguments" : "'" + args[0] + "'"));
    }
    CommandLine cli = new CommandLine("live", "", LiveCommand.jobOptions());
    Configuration conf = cli.parse(Arrays.copyOfRange(args, 1, args.length));
    if (!conf.contains(KafkaOptions.BOOTSTRAP_SERVERS)) {
      throw new IllegalArgumentException("--bootstrap-servers is required");
    }
    ModelLocator.CheckedModel model = ModelLocator.resolveAndCheck(conf.get(PipelineOptions.MODEL));
    StreamExecutionEnvironment env = LiveEnvironment.create(conf);
    LiveJob.build(env, conf, model.dir(), LiveJob.liveSource(conf));
    env.execute("rillet-live " + model.modelId());
  }
}
