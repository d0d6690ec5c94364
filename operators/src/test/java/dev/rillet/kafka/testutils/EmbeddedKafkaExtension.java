package dev.rillet.kafka.testutils;

import dev.rillet.kafka.KafkaOptions;
import dev.rillet.kafka.embedded.EmbeddedKafka;
import java.net.ServerSocket;
import org.apache.flink.configuration.Configuration;
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
  private final boolean fixedPort;
  private EmbeddedKafka kafka;
  private KafkaTestClient client;

  /** A broker on a port of its own choosing. */
  public EmbeddedKafkaExtension() {
    this(false);
  }

  private EmbeddedKafkaExtension(boolean fixedPort) {
    this.fixedPort = fixedPort;
  }

  /** A broker that tests can {@link #restart()}: it listens on a fixed free port. */
  public static EmbeddedKafkaExtension restartable() {
    return new EmbeddedKafkaExtension(true);
  }

  @Override
  public void beforeAll(ExtensionContext context) throws Exception {
    EmbeddedKafka.Builder b = EmbeddedKafka.builder();
    if (fixedPort) {
      try (ServerSocket s = new ServerSocket(0)) {
        b.port(s.getLocalPort());
      }
    }
    kafka = b.start();
    client = new KafkaTestClient(kafka.bootstrapServers());
  }

  /**
   * Stops the broker and starts it again on its data and port (see {@link EmbeddedKafka#restart}).
   */
  public void restart() {
    kafka().restart();
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
}
