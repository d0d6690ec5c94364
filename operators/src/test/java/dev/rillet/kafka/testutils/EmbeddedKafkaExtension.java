package dev.rillet.kafka.testutils;

import dev.rillet.kafka.EmbeddedKafka;
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
}
