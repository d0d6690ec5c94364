package dev.rillet.kafka.testutils;

import dev.rillet.kafka.EmbeddedKafka;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
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
