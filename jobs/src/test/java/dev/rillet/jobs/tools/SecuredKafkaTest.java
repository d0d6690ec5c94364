package dev.rillet.jobs.tools;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.rillet.avro.TextEvent;
import dev.rillet.jobs.RilletTestAccess;
import dev.rillet.kafka.embedded.EmbeddedKafka;
import dev.rillet.testutils.TestModels;
import dev.rillet.tokenize.WordTokenizer;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.stream.LongStream;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A broker that only takes SASL clients, as a production cluster does, and every Kafka client of
 * Rillet reaching it through {@code --kafka-config}: {@code produce} writes the input, {@code live}
 * (source, sinks and the idle watcher's admin client) tags it and stops when idle, {@code dump}
 * reads the tags back.
 */
class SecuredKafkaTest {
  private static final String INPUT = "secured.text";
  private static final String TAGS = "secured.tags";

  private static final ObjectMapper JSON = new ObjectMapper();

  private static EmbeddedKafka kafka;

  @TempDir static Path tmp;

  @BeforeAll
  static void startBroker() throws Exception {
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    kafka = EmbeddedKafka.builder().port(port).saslPlain("rillet", "s3cret").start();
    kafka.createTopics(2, INPUT, TAGS, "secured.sentiment", "secured.dead");
  }

  @AfterAll
  static void stopBroker() {
    if (kafka != null) {
      kafka.close();
    }
  }

  @Test
  void theBrokerRefusesClientsWithoutTheSettings() {
    Map<String, Object> plain =
        Map.of(
            AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers(),
            AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 3000,
            AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 2000);
    try (Admin admin = Admin.create(plain)) {
      assertThatThrownBy(() -> admin.listTopics().names().get())
          .isInstanceOf(ExecutionException.class);
    }
  }

  @Test
  @Timeout(value = 3, unit = TimeUnit.MINUTES) // a client without the settings would wait forever
  void produceLiveAndDumpReachTheBrokerThroughKafkaConfig() throws Exception {
    Path config = tmp.resolve("client.properties");
    Files.writeString(
        config,
        "security.protocol=SASL_PLAINTEXT\n"
            + "sasl.mechanism=PLAIN\n"
            + "sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required"
            + " username=\"rillet\" password=\"s3cret\";\n"
            + "producer.linger.ms=0\n");
    Path input = tmp.resolve("in.jsonl");
    Map<String, Integer> tokensPerStream = new HashMap<>();
    WordTokenizer tokenizer = new WordTokenizer();
    for (TextEvent e : ProduceDumpTest.writeEvents(input, 12, 3)) {
      tokensPerStream.merge(e.getStreamId(), tokenizer.tokenize(e.getText()).size(), Integer::sum);
    }
    String servers = kafka.bootstrapServers();

    assertThat(
            RilletTestAccess.run(
                "produce",
                "--input",
                input.toString(),
                "--topic",
                INPUT,
                "--bootstrap-servers",
                servers,
                "--kafka-config",
                config.toString()))
        .isZero();
    assertThat(
            RilletTestAccess.run(
                "live",
                "--bootstrap-servers",
                servers,
                "--kafka-config",
                config.toString(),
                "--input-topic",
                INPUT,
                "--tags-topic",
                TAGS,
                "--sentiment-topic",
                "secured.sentiment",
                "--dead-letter-topic",
                "secured.dead",
                "--group-id",
                "secured",
                "--transactional-id-prefix",
                "secured-" + System.nanoTime(),
                "--model",
                TestModels.get("test-gru").toString(),
                "--elmo",
                "none",
                "--state-dir",
                tmp.resolve("state").toString(),
                "--checkpoint-interval",
                "500ms",
                "--stop-when-idle",
                "3s"))
        .isZero();
    Path output = tmp.resolve("tags.jsonl");
    assertThat(
            RilletTestAccess.run(
                "dump",
                "--topic",
                TAGS,
                "--output",
                output.toString(),
                "--bootstrap-servers",
                servers,
                "--kafka-config",
                config.toString()))
        .isZero();

    Map<String, List<Long>> positions = new HashMap<>();
    for (String line : Files.readAllLines(output)) {
      JsonNode tag = JSON.readTree(line);
      positions
          .computeIfAbsent(tag.get("streamId").asText(), k -> new ArrayList<>())
          .add(tag.get("position").asLong());
    }
    assertThat(positions.keySet()).containsExactlyInAnyOrderElementsOf(tokensPerStream.keySet());
    tokensPerStream.forEach(
        (stream, n) ->
            assertThat(positions.get(stream))
                .as("positions of %s", stream)
                .containsExactlyInAnyOrderElementsOf(LongStream.range(0, n).boxed().toList()));
  }

  @Test
  void aReservedKeyIsRefusedAtStartupNamingTheFlag() throws Exception {
    Path config = tmp.resolve("reserved.properties");
    Files.writeString(config, "security.protocol=SASL_PLAINTEXT\nconsumer.isolation.level=x\n");
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int rc =
        RilletTestAccess.run(
            new PrintStream(err, true, StandardCharsets.UTF_8),
            "dump",
            "--topic",
            TAGS,
            "--output",
            tmp.resolve("never.jsonl").toString(),
            "--bootstrap-servers",
            kafka.bootstrapServers(),
            "--kafka-config",
            config.toString());
    assertThat(rc).isEqualTo(2);
    assertThat(err.toString(StandardCharsets.UTF_8))
        .contains("--kafka-config", "consumer.isolation.level", "remove");
  }

  @Test
  void liveRefusesAMissingFileBeforeMakingItsStateDirectory() {
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    Path state = tmp.resolve("never-made");
    int rc =
        RilletTestAccess.run(
            new PrintStream(err, true, StandardCharsets.UTF_8),
            "live",
            "--bootstrap-servers",
            kafka.bootstrapServers(),
            "--kafka-config",
            tmp.resolve("missing.properties").toString(),
            "--state-dir",
            state.toString());
    assertThat(rc).isEqualTo(2);
    assertThat(err.toString(StandardCharsets.UTF_8))
        .contains("--kafka-config", "missing.properties: no such file")
        .doesNotContain("starting fresh");
    assertThat(state).doesNotExist();
  }
}
