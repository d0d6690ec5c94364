package dev.rillet.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.rillet.kafka.testutils.EmbeddedKafkaExtension;
import dev.rillet.kafka.testutils.KafkaTestClient;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.config.ConfigResource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

class EmbeddedKafkaTest {
  @RegisterExtension static final EmbeddedKafkaExtension KAFKA = new EmbeddedKafkaExtension();

  private static final Duration TIMEOUT = Duration.ofSeconds(30);

  @Test
  void createsTopicsIdempotently() throws Exception {
    KAFKA.createTopics(3, "t.create.a", "t.create.b");
    // Again, with one new name and a different count: existing topics stay as they are.
    KAFKA.createTopics(2, "t.create.a", "t.create.c");

    try (Admin admin =
        Admin.create(
            Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, KAFKA.bootstrapServers()))) {
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
    KAFKA.createTopics(1, "t.retention");
    try (Admin admin =
        Admin.create(
            Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, KAFKA.bootstrapServers()))) {
      ConfigResource topic = new ConfigResource(ConfigResource.Type.TOPIC, "t.retention");
      Config config = admin.describeConfigs(List.of(topic)).all().get().get(topic);
      assertThat(config.get("retention.ms").value()).isEqualTo("-1");
    }
  }

  @Test
  void rejectsNonPositivePartitionCount() {
    assertThatThrownBy(() -> KAFKA.createTopics(0, "t.zero"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("partitions");
  }

  @Test
  void readCommittedSeesCommittedTransactionsOnly() {
    String topic = "t.tx";
    KAFKA.createTopics(2, topic);
    KafkaTestClient client = KAFKA.client();
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

  @Test
  void fixedPortAndNamedLogDir(@TempDir Path tmp) throws Exception {
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    Path logDir = tmp.resolve("kafka-logs");
    try (EmbeddedKafka kafka = EmbeddedKafka.builder().port(port).logDir(logDir).start();
        KafkaTestClient client = new KafkaTestClient(kafka.bootstrapServers())) {
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
        KafkaTestClient client = new KafkaTestClient(kafka.bootstrapServers())) {
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
}
