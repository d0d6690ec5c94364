package dev.rillet.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Properties;
import org.apache.flink.configuration.Configuration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class KafkaClientConfigTest {
  @TempDir Path tmp;

  private Path file(String content) throws Exception {
    Path f = tmp.resolve("client.properties");
    Files.writeString(f, content);
    return f;
  }

  @Test
  void unprefixedKeysGoToEveryClientAndPrefixedOnesOverrideForTheirKind() throws Exception {
    KafkaClientConfig c =
        KafkaClientConfig.load(
            file(
                "security.protocol=SASL_SSL\n"
                    + "linger.ms=5\n"
                    + "producer.linger.ms=0\n"
                    + "consumer.fetch.max.wait.ms=50\n"
                    + "admin.request.timeout.ms=1000\n"));
    assertThat(c.forClient(KafkaClientConfig.Client.PRODUCER))
        .containsExactlyInAnyOrderEntriesOf(
            Map.of("security.protocol", "SASL_SSL", "linger.ms", "0"));
    assertThat(c.forClient(KafkaClientConfig.Client.CONSUMER))
        .containsExactlyInAnyOrderEntriesOf(
            Map.of("security.protocol", "SASL_SSL", "linger.ms", "5", "fetch.max.wait.ms", "50"));
    Properties admin = c.properties(KafkaClientConfig.Client.ADMIN, "broker:9093");
    assertThat(admin)
        .containsEntry("bootstrap.servers", "broker:9093")
        .containsEntry("security.protocol", "SASL_SSL")
        .containsEntry("request.timeout.ms", "1000")
        .doesNotContainKey("fetch.max.wait.ms");
  }

  @Test
  void everyReservedKeyIsRefusedAtOnceWithWhatToUseInstead() throws Exception {
    Path f = file("bootstrap.servers=x:1\nconsumer.group.id=g\nsecurity.protocol=SSL\n");
    assertThatThrownBy(() -> KafkaClientConfig.load(f))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("--kafka-config " + f)
        .hasMessageContaining("bootstrap.servers (Rillet sets it from --bootstrap-servers)")
        .hasMessageContaining("consumer.group.id (Rillet sets it from --group-id)")
        .hasMessageNotContaining("security.protocol");
  }

  @Test
  void aMissingFileNamesTheFlag() {
    Path missing = tmp.resolve("nope.properties");
    assertThatThrownBy(() -> KafkaClientConfig.load(missing))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("--kafka-config " + missing + ": no such file");
  }

  @Test
  void unsetOptionMeansNoSettingsAndToStringNeverShowsValues() throws Exception {
    assertThat(KafkaClientConfig.from(new Configuration()).isEmpty()).isTrue();
    Configuration conf = new Configuration();
    conf.set(KafkaOptions.CLIENT_CONFIG, file("sasl.jaas.config=secret-value\n").toString());
    KafkaClientConfig c = KafkaClientConfig.from(conf);
    assertThat(c.isEmpty()).isFalse();
    assertThat(c.toString()).contains("sasl.jaas.config").doesNotContain("secret-value");
  }

  @Test
  void orderedProducersKeepTheirOrderingSettingsOverTheUsers() throws Exception {
    KafkaClientConfig c =
        KafkaClientConfig.load(file("acks=1\nmax.in.flight.requests.per.connection=5\n"));
    Properties p = OrderedProducers.properties("b:1", c);
    assertThat(p)
        .containsEntry("acks", "all")
        .containsEntry("max.in.flight.requests.per.connection", "1");
  }
}
