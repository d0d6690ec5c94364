package dev.rillet.kafka.testutils;

import dev.rillet.kafka.EmbeddedKafka;
import dev.rillet.kafka.KafkaOptions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.flink.configuration.Configuration;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.config.TopicConfig;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Starts one {@link EmbeddedKafka} before a test class's tests and stops it after them:
 *
 * <pre>{@code
 * @RegisterExtension static final EmbeddedKafkaExtension KAFKA = new EmbeddedKafkaExtension();
 * }</pre>
 *
 * Tests sharing the broker should use their own topic names. {@link #client()} is a {@link
 * KafkaTestClient} for the broker, closed with it.
 */
public final class EmbeddedKafkaExtension implements BeforeAllCallback, AfterAllCallback {
  private EmbeddedKafka kafka;
  private KafkaTestClient client;

  @Override
  public void beforeAll(ExtensionContext context) {
    kafka = EmbeddedKafka.start();
    client = new KafkaTestClient(kafka.bootstrapServers());
  }

  @Override
  public void afterAll(ExtensionContext context) {
    try {
      if (client != null) {
        client.close();
      }
    } finally {
      if (kafka != null) {
        kafka.close();
      }
      client = null;
      kafka = null;
    }
  }

  public EmbeddedKafka kafka() {
    if (kafka == null) {
      throw new IllegalStateException("embedded Kafka is not running (register as static field)");
    }
    return kafka;
  }

  public String bootstrapServers() {
    return kafka().bootstrapServers();
  }

  public KafkaTestClient client() {
    kafka();
    return client;
  }

  /**
   * The Kafka options of a job on this broker under one topic prefix: input {@code <prefix>.text};
   * outputs {@code <prefix>.tags}, {@code .sentiment}, {@code .sentences}, {@code .dead}; consumer
   * group {@code prefix}; transactional ids no other run has used. Does not create the topics.
   */
  public Configuration jobOptions(String prefix) {
    Configuration conf = new Configuration();
    conf.set(KafkaOptions.BOOTSTRAP_SERVERS, bootstrapServers());
    conf.set(KafkaOptions.INPUT_TOPIC, prefix + ".text");
    conf.set(KafkaOptions.TAGS_TOPIC, prefix + ".tags");
    conf.set(KafkaOptions.SENTIMENT_TOPIC, prefix + ".sentiment");
    conf.set(KafkaOptions.SENTENCES_TOPIC, prefix + ".sentences");
    conf.set(KafkaOptions.DEAD_LETTER_TOPIC, prefix + ".dead");
    conf.set(KafkaOptions.GROUP_ID, prefix);
    conf.set(KafkaOptions.TRANSACTIONAL_ID_PREFIX, prefix + "-" + System.nanoTime());
    return conf;
  }

  /** Creates the topics (if missing) with {@code partitions} partitions. */
  public void createTopics(int partitions, String... names) {
    kafka().createTopics(partitions, names);
  }

  /**
   * Creates new topics with {@code partitions} partitions and no retention limit, for records
   * timestamped in the past, which the broker's time-based retention would otherwise delete during
   * the test; returns once every partition has a leader.
   */
  public void createKeptTopics(int partitions, String... names) throws Exception {
    try (Admin admin =
        Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers()))) {
      List<NewTopic> topics = new ArrayList<>();
      for (String name : names) {
        topics.add(
            new NewTopic(name, partitions, (short) 1)
                .configs(Map.of(TopicConfig.RETENTION_MS_CONFIG, "-1")));
      }
      admin.createTopics(topics).all().get();
    }
    createTopics(partitions, names); // they exist: this waits until every partition has a leader
  }
}
