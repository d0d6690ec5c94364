package dev.rillet.jobs.tools;

import dev.rillet.avro.TextEvent;
import dev.rillet.jobs.cli.Command;
import dev.rillet.jobs.cli.CommandContext;
import dev.rillet.jobs.cli.TextEventFiles;
import dev.rillet.kafka.KafkaClientConfig;
import dev.rillet.kafka.KafkaOptions;
import java.nio.file.Path;
import java.util.List;
import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.configuration.ConfigOptions;
import org.apache.flink.configuration.Configuration;

/**
 * {@code rillet produce}: writes a file of TextEvents (JSON lines, or an Avro container file) to a
 * topic as the live job reads them: Avro values, key = streamId, record timestamp = eventTime.
 */
public final class ProduceCommand implements Command {
  static final ConfigOption<String> INPUT =
      ConfigOptions.key("input")
          .stringType()
          .noDefaultValue()
          .withDescription(
              "File of TextEvents: JSON lines (as demo --input) or an Avro container file (.avro).");

  static final ConfigOption<String> TOPIC =
      ConfigOptions.key("topic")
          .stringType()
          .defaultValue("rillet.text")
          .withDescription("Topic to write to.");

  @Override
  public String name() {
    return "produce";
  }

  @Override
  public String summary() {
    return "Write a file of TextEvents to a topic (key = streamId, timestamp = eventTime).";
  }

  @Override
  public List<ConfigOption<?>> options() {
    return List.of(INPUT, TOPIC, ToolOptions.BOOTSTRAP_SERVERS, KafkaOptions.CLIENT_CONFIG);
  }

  @Override
  public int run(CommandContext context, Configuration conf) throws Exception {
    Path input = Path.of(ToolOptions.required(conf, INPUT));
    // The whole file is read first: a file with bad lines produces nothing.
    List<TextEvent> events = TextEventFiles.read(input, "--input");
    String topic = conf.get(TOPIC);
    try (TextEventProducer producer =
        new TextEventProducer(
            conf.get(ToolOptions.BOOTSTRAP_SERVERS), KafkaClientConfig.from(conf), topic)) {
      for (TextEvent e : events) {
        producer.send(e);
      }
    }
    context.out().println("rillet produce: wrote " + events.size() + " events to " + topic);
    return 0;
  }
}
