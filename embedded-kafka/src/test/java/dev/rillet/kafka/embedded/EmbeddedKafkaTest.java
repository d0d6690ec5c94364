package dev.rillet.kafka.embedded;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.function.Consumer;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The broker on its own: this module sits below rillet-operators, so the test uses plain Kafka
 * clients ({@link RawClient}) instead of the operators' test utilities.
 */
class EmbeddedKafkaTest {
  private static final Duration TIMEOUT = Duration.ofSeconds(30);

  /** One broker shared by the tests that need no broker of their own; each uses its own topics. */
  private static EmbeddedKafka broker;

  @BeforeAll
  static void startBroker() {
    broker = EmbeddedKafka.start();
  }

  @AfterAll
  static void stopBroker() {
    if (broker != null) {
      broker.close();
    }
  }

  @Test
  void createsTopicsIdempotently() throws Exception {
    broker.createTopics(3, "t.create.a", "t.create.b");
    // Again, with one new name and a different count: existing topics stay as they are.
    broker.createTopics(2, "t.create.a", "t.create.c");

    try (Admin admin =
        Admin.create(
            Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers()))) {
      Map<String, TopicDescription> topics =
          admin
              .describeTopics(List.of("t.create.a", "t.create.b", "t.create.c"))
              .allTopicNames()
              .get();
      assertThat(topics.get("t.create.a").partitions()).hasSize(3);
      assertThat(topics.get("t.create.b").partitions()).hasSize(3);
      assertThat(topics.get("t.create.c").partitions()).hasSize(2);
    }
  }

  /**
   * Tests and the demo write outputs stamped with event times years in the past; a time-based
   * retention would delete them at the broker's first retention check, in the middle of a test.
   */
  @Test
  void topicsHaveNoTimeBasedRetention() throws Exception {
    broker.createTopics(1, "t.retention");
    try (Admin admin =
        Admin.create(
            Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers()))) {
      ConfigResource topic = new ConfigResource(ConfigResource.Type.TOPIC, "t.retention");
      Config config = admin.describeConfigs(List.of(topic)).all().get().get(topic);
      assertThat(config.get("retention.ms").value()).isEqualTo("-1");
    }
  }

  @Test
  void rejectsNonPositivePartitionCount() {
    assertThatThrownBy(() -> broker.createTopics(0, "t.zero"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("partitions");
  }

  @Test
  void readCommittedSeesCommittedTransactionsOnly() throws Exception {
    String topic = "t.tx";
    broker.createTopics(2, topic);
    try (RawClient client = new RawClient(broker.bootstrapServers())) {
      client.inTransaction(
          "tx-commit",
          true,
          p -> {
            p.send(new ProducerRecord<>(topic, 0, bytes("k"), bytes("committed-1")));
            p.send(new ProducerRecord<>(topic, 1, bytes("k"), bytes("committed-2")));
          });
      client.inTransaction(
          "tx-abort",
          false,
          p -> p.send(new ProducerRecord<>(topic, 0, bytes("k"), bytes("aborted"))));
      client.sendRaw(topic, 1, null, bytes("plain"));

      List<ConsumerRecord<byte[], byte[]>> read = client.readCommittedRaw(topic, 3, TIMEOUT);

      assertThat(read)
          .extracting(r -> new String(r.value(), StandardCharsets.UTF_8))
          .containsExactlyInAnyOrder("committed-1", "committed-2", "plain");
    }
  }

  @Test
  void fixedPortAndNamedLogDir(@TempDir Path tmp) throws Exception {
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    Path logDir = tmp.resolve("kafka-logs");
    try (EmbeddedKafka kafka = EmbeddedKafka.builder().port(port).logDir(logDir).start();
        RawClient client = new RawClient(kafka.bootstrapServers())) {
      assertThat(kafka.bootstrapServers()).isEqualTo("localhost:" + port);
      kafka.createTopics(1, "t.fixed");
      client.sendRaw("t.fixed", null, bytes("k"), bytes("v"));
      assertThat(client.readCommittedRaw("t.fixed", 1, TIMEOUT)).hasSize(1);
    }
    // A named log dir is kept for inspection; a second start there is refused with a reason.
    assertThat(logDir).isNotEmptyDirectory();
    assertThatThrownBy(() -> EmbeddedKafka.builder().logDir(logDir).start())
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("not empty");
  }

  @Test
  void restartKeepsRecordsTransactionsAndTheAddress() throws Exception {
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    String topic = "t.restart";
    try (EmbeddedKafka kafka = EmbeddedKafka.builder().port(port).start();
        RawClient client = new RawClient(kafka.bootstrapServers())) {
      kafka.createTopics(2, topic);
      client.inTransaction(
          "tx-before", true, p -> p.send(new ProducerRecord<>(topic, 0, null, bytes("before"))));
      client.inTransaction(
          "tx-aborted", false, p -> p.send(new ProducerRecord<>(topic, 1, null, bytes("aborted"))));

      kafka.restart();

      // The same client, at the same address, writes and reads again.
      client.sendRaw(topic, 1, null, bytes("after"));
      assertThat(client.readCommittedRaw(topic, 2, TIMEOUT))
          .extracting(r -> new String(r.value(), StandardCharsets.UTF_8))
          .containsExactlyInAnyOrder("before", "after");
      assertThat(kafka.bootstrapServers()).isEqualTo("localhost:" + port);
    }
  }

  @Test
  void restartWithoutAFixedPortIsRefused() {
    try (EmbeddedKafka kafka = EmbeddedKafka.start()) {
      assertThatThrownBy(kafka::restart)
          .isInstanceOf(IllegalStateException.class)
          .hasMessageContaining("fixed client port");
    }
  }

  @Test
  void temporaryLogDirIsDeletedOnClose() {
    Path dir;
    try (EmbeddedKafka kafka = EmbeddedKafka.start()) {
      dir = kafka.logDir();
      assertThat(dir).isDirectory();
    }
    assertThat(Files.exists(dir)).isFalse();
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  /** Plain byte-array producers and a read_committed consumer on one broker. */
  private static final class RawClient implements AutoCloseable {
    private final String bootstrapServers;
    private final KafkaProducer<byte[], byte[]> producer;

    RawClient(String bootstrapServers) {
      this.bootstrapServers = bootstrapServers;
      this.producer = producer(null);
    }

    private KafkaProducer<byte[], byte[]> producer(String transactionalId) {
      Properties p = new Properties();
      p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
      p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
      p.put(ProducerConfig.ACKS_CONFIG, "all");
      p.put(ProducerConfig.LINGER_MS_CONFIG, "0");
      if (transactionalId != null) {
        p.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, transactionalId);
      }
      return new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer());
    }

    /** Sends one record (to {@code partition} unless null) and waits for its ack. */
    void sendRaw(String topic, Integer partition, byte[] key, byte[] value) throws Exception {
      try {
        producer.send(new ProducerRecord<>(topic, partition, key, value)).get();
      } catch (ExecutionException e) {
        throw new IllegalStateException("send to " + topic + " failed", e.getCause());
      }
    }

    /** Runs {@code body} in one transaction of a new producer; commits or aborts it. */
    void inTransaction(
        String transactionalId, boolean commit, Consumer<KafkaProducer<byte[], byte[]>> body) {
      try (KafkaProducer<byte[], byte[]> tx = producer(transactionalId)) {
        tx.initTransactions();
        tx.beginTransaction();
        body.accept(tx);
        tx.flush();
        if (commit) {
          tx.commitTransaction();
        } else {
          tx.abortTransaction();
        }
      }
    }

    /**
     * Every committed record of {@code topic} from the beginning, once at least {@code expected}
     * arrived and every partition is read up to its last stable offset, or what arrived when {@code
     * timeout} has passed.
     */
    List<ConsumerRecord<byte[], byte[]>> readCommittedRaw(
        String topic, int expected, Duration timeout) {
      Properties p = new Properties();
      p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
      p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
      p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
      long deadline = System.nanoTime() + timeout.toNanos();
      List<ConsumerRecord<byte[], byte[]>> out = new ArrayList<>();
      try (KafkaConsumer<byte[], byte[]> consumer =
          new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
        List<TopicPartition> partitions =
            consumer.partitionsFor(topic, timeout).stream()
                .map(info -> new TopicPartition(topic, info.partition()))
                .toList();
        consumer.assign(partitions);
        consumer.seekToBeginning(partitions);
        while (true) {
          consumer.poll(Duration.ofMillis(100)).forEach(out::add);
          if (out.size() >= expected && caughtUp(consumer, partitions)) {
            return out;
          }
          if (System.nanoTime() - deadline > 0) {
            return out;
          }
        }
      }
    }

    private static boolean caughtUp(
        KafkaConsumer<byte[], byte[]> consumer, List<TopicPartition> partitions) {
      // Under read_committed the end offsets are the last stable offsets.
      Map<TopicPartition, Long> ends = consumer.endOffsets(partitions);
      return partitions.stream().allMatch(tp -> consumer.position(tp) >= ends.get(tp));
    }

    @Override
    public void close() {
      producer.close(Duration.ofSeconds(10));
    }
  }
}
