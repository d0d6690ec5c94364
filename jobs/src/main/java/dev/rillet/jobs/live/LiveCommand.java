package dev.rillet.jobs.live;

import dev.rillet.jobs.cli.CommandLine;
import dev.rillet.jobs.cli.Rillet;
import dev.rillet.kafka.KafkaOptions;
import java.util.ArrayList;
import java.util.List;
import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;

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

  /** The options of the live job: Kafka endpoints and topics, then the pipeline's own. */
  public static List<ConfigOption<?>> options() {
    List<ConfigOption<?>> options = new ArrayList<>(KafkaOptions.all());
    options.addAll(PipelineOptions.all());
    options.addAll(SentenceOptions.all());
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
              + " (for a local broker, start one with ./rillet demo)");
    }
    ModelLocator.CheckedModel model = ModelLocator.resolveAndCheck(conf.get(PipelineOptions.MODEL));
    if (model.notice() != null) {
      System.err.println("rillet live: note: " + model.notice());
    }
    SentenceStage stage = SentenceStage.resolve(conf);
    // Loaded once here to fail fast; on a local MiniCluster the operators share this copy.
    try (var elmo = stage == null ? null : stage.check()) {
      StreamExecutionEnvironment env = LiveEnvironment.create(conf);
      LiveJob.build(env, conf, model.dir(), LiveJob.liveSource(conf));
      env.execute("rillet-live");
    }
    return 0;
  }
}
