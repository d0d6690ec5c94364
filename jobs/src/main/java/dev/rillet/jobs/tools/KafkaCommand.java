package dev.rillet.jobs.tools;

import dev.rillet.jobs.cli.Command;
import dev.rillet.jobs.cli.CommandContext;
import dev.rillet.kafka.KafkaOptions;
import dev.rillet.kafka.embedded.EmbeddedKafka;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.configuration.ConfigOptions;
import org.apache.flink.configuration.Configuration;

/**
 * {@code rillet kafka}: a local single-node Kafka broker (the in-process one the demo uses) that
 * runs until Ctrl-C, with the default topics created. For trying live and backfill side by side.
 */
public final class KafkaCommand implements Command {
  static final ConfigOption<Integer> PORT =
      ConfigOptions.key("port")
          .intType()
          .defaultValue(9092)
          .withDescription("Port clients connect to (bootstrap servers localhost:<port>).");

  static final ConfigOption<Integer> PARTITIONS =
      ConfigOptions.key("partitions")
          .intType()
          .defaultValue(4)
          .withDescription("Partitions of each default topic created at start.");

  @Override
  public String name() {
    return "kafka";
  }

  @Override
  public String summary() {
    return "Run a local single-node Kafka broker with the default topics until Ctrl-C.";
  }

  @Override
  public List<ConfigOption<?>> options() {
    return List.of(PORT, PARTITIONS);
  }

  @Override
  public int run(CommandContext context, Configuration conf) throws Exception {
    EmbeddedKafka kafka = startQuietly(conf.get(PORT));
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  kafka.close();
                  stopped.countDown();
                },
                "rillet-kafka-shutdown"));
    List<String> topics =
        List.of(
            KafkaOptions.INPUT_TOPIC.defaultValue(),
            KafkaOptions.TAGS_TOPIC.defaultValue(),
            KafkaOptions.SENTIMENT_TOPIC.defaultValue(),
            KafkaOptions.SENTENCES_TOPIC.defaultValue(),
            KafkaOptions.DEAD_LETTER_TOPIC.defaultValue());
    kafka.createTopics(conf.get(PARTITIONS), topics.toArray(new String[0]));
    context.out().println("rillet kafka: broker up, bootstrap servers " + kafka.bootstrapServers());
    context.out().println("rillet kafka: topics " + String.join(", ", topics));
    context
        .out()
        .println("rillet kafka: data in " + kafka.logDir() + " (deleted on exit); Ctrl-C stops");
    stopped.await();
    return 0;
  }

  /**
   * Starts the broker with time-based retention off (replayed inputs carry old timestamps, which a
   * retention limit would delete at once); its storage formatter's output is kept off the screen.
   */
  private static EmbeddedKafka startQuietly(int port) {
    return EmbeddedKafka.builder()
        .port(port)
        .brokerProperty("log.retention.ms", "-1")
        .startQuietly();
  }
}
