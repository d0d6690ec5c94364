package dev.rillet.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.rillet.avro.TextEvent;
import dev.rillet.avro.TokenTag;
import dev.rillet.kafka.testutils.KafkaTestClient;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.stream.Collectors;
import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.connector.base.DeliveryGuarantee;
import org.apache.flink.connector.kafka.source.enumerator.initializer.OffsetsInitializer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;

class RilletKafkaTest {
  @Test
  void optionKeysAreShortFlagNames() {
    assertThat(KafkaOptions.all().stream().map(ConfigOption::key).collect(Collectors.toList()))
        .containsExactly(
            "bootstrap-servers",
            "input-topic",
            "tags-topic",
            "sentiment-topic",
            "sentences-topic",
            "dead-letter-topic",
            "group-id",
            "transactional-id-prefix",
            "starting-offsets",
            "delivery-guarantee",
            "output-timestamp",
            "transaction-timeout",
            "kafka-config");
    assertThat(KafkaOptions.all()).allSatisfy(o -> assertThat(o.description()).isNotNull());
    Configuration empty = new Configuration();
    assertThat(empty.get(KafkaOptions.INPUT_TOPIC)).isEqualTo("rillet.text");
    assertThat(empty.get(KafkaOptions.DEAD_LETTER_TOPIC)).isEqualTo("rillet.dead-letters");
    assertThat(empty.get(KafkaOptions.TRANSACTION_TIMEOUT)).isEqualTo(Duration.ofMinutes(15));
    assertThat(empty.get(KafkaOptions.DELIVERY_GUARANTEE))
        .isEqualTo(DeliveryGuarantee.EXACTLY_ONCE);
  }

  @Test
  void sourceBuildSaysWhatIsMissing() {
    assertThatThrownBy(() -> RilletKafka.source().topic("in").build())
        .isInstanceOf(IllegalStateException.class)
        .hasMessage(
            "Kafka source is incomplete, missing: bootstrap servers (--bootstrap-servers),"
                + " group id (--group-id)");
    // From a configuration only bootstrap servers have no default.
    assertThatThrownBy(() -> RilletKafka.source(new Configuration()).build())
        .hasMessageContaining("bootstrap servers (--bootstrap-servers)")
        .hasMessageNotContaining("topic");
  }

  @Test
  void sourceBuildsFromConfiguration() {
    Configuration c = new Configuration();
    c.set(KafkaOptions.BOOTSTRAP_SERVERS, "localhost:9092");
    c.set(KafkaOptions.STARTING_OFFSETS, "2024-05-01T00:00:00Z");
    assertThat(RilletKafka.source(c).build()).isNotNull();
    assertThat(RilletKafka.source(c).stoppingAt(1_714_600_000_000L).build().getBoundedness())
        .isEqualTo(org.apache.flink.api.connector.source.Boundedness.BOUNDED);
  }

  @Test
  void sinkBuildSaysWhatIsMissing() {
    assertThatThrownBy(() -> RilletKafka.sink(TokenTag.class).topic("tags").build())
        .isInstanceOf(IllegalStateException.class)
        .hasMessage(
            "Kafka sink of TokenTag to tags is incomplete, missing: bootstrap servers"
                + " (--bootstrap-servers), transactional id prefix (--transactional-id-prefix),"
                + " required by EXACTLY_ONCE");
    assertThatThrownBy(
            () ->
                RilletKafka.sink(TokenTag.class)
                    .bootstrapServers("localhost:9092")
                    .deliveryGuarantee(DeliveryGuarantee.AT_LEAST_ONCE)
                    .transactionTimeout(Duration.ZERO)
                    .build())
        .hasMessage(
            "Kafka sink of TokenTag is incomplete, missing: topic, a positive transaction"
                + " timeout (got PT0S)");
    // AT_LEAST_ONCE needs no transactional id prefix.
    assertThat(
            RilletKafka.sink(TokenTag.class)
                .bootstrapServers("localhost:9092")
                .topic("tags")
                .deliveryGuarantee(DeliveryGuarantee.AT_LEAST_ONCE)
                .build())
        .isNotNull();
  }

  @Test
  void sinkBuildsFromConfiguration() {
    Configuration c = new Configuration();
    c.set(KafkaOptions.BOOTSTRAP_SERVERS, "localhost:9092");
    assertThat(RilletKafka.sink(TokenTag.class, c, KafkaOptions.TAGS_TOPIC).build()).isNotNull();
    assertThat(RilletKafka.deadLetterSink(c).build()).isNotNull();
  }

  @Test
  void recordTypesAvoidKryo() {
    assertThat(new KafkaInputRecordDeserializer().getProducedType())
        .isInstanceOf(org.apache.flink.api.java.typeutils.PojoTypeInfo.class);
    assertThat(TextEventDecoder.REJECTED.getTypeInfo())
        .isInstanceOf(org.apache.flink.formats.avro.typeutils.AvroTypeInfo.class);
  }

  @Test
  void parsesStartingOffsets() {
    assertThat(KafkaOptions.parseStartingOffsets("earliest").getAutoOffsetResetStrategy())
        .isEqualTo(OffsetsInitializer.earliest().getAutoOffsetResetStrategy());
    assertThat(KafkaOptions.parseStartingOffsets(" LATEST ").getAutoOffsetResetStrategy())
        .isEqualTo(OffsetsInitializer.latest().getAutoOffsetResetStrategy());
    assertThat(KafkaOptions.parseStartingOffsets("committed")).isNotNull();
    assertThat(KafkaOptions.parseTimestamp("t", "1714521600000")).isEqualTo(1_714_521_600_000L);
    assertThat(KafkaOptions.parseTimestamp("t", "2024-05-01T00:00:00Z"))
        .isEqualTo(1_714_521_600_000L);
    assertThat(KafkaOptions.parseTimestamp("t", "2024-05-01T02:00:00+02:00"))
        .isEqualTo(1_714_521_600_000L);
    assertThatThrownBy(() -> KafkaOptions.parseStartingOffsets("beginning"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("starting-offsets: 'beginning' is not earliest, latest, committed");
  }

  @Test
  void serializationSchemaWritesSingleObjectEncodingKeyedByStream() throws Exception {
    AvroValueSerializationSchema<TextEvent> schema =
        new AvroValueSerializationSchema<>("rillet.text", TextEvent.class, TextEvent::getStreamId);
    schema.open(null, null);
    TextEvent a =
        TextEvent.newBuilder().setStreamId("a").setSeq(1).setEventTime(2).setText("x").build();
    TextEvent b =
        TextEvent.newBuilder().setStreamId("bb").setSeq(2).setEventTime(3).setText("yz").build();

    ProducerRecord<byte[], byte[]> ra = schema.serialize(a, null, 99L);
    ProducerRecord<byte[], byte[]> rb = schema.serialize(b, null, null);

    assertThat(ra.topic()).isEqualTo("rillet.text");
    assertThat(new String(ra.key(), StandardCharsets.UTF_8)).isEqualTo("a");
    assertThat(ra.timestamp()).isEqualTo(99L);
    assertThat(ra.partition()).isNull();
    // The reused buffer must not leak one record's bytes into another's.
    assertThat(TextEvent.getDecoder().decode(ra.value())).isEqualTo(a);
    assertThat(TextEvent.getDecoder().decode(rb.value())).isEqualTo(b);
    assertThat(ra.value()).isEqualTo(KafkaTestClient.encode(a));

    AvroValueSerializationSchema<TextEvent> unkeyed =
        new AvroValueSerializationSchema<>("t", TextEvent.class, null);
    assertThat(unkeyed.serialize(a, null, null).key()).isNull();
  }

  @Test
  void writeTimeLeavesTheTimestampToTheProducer() {
    TextEvent a =
        TextEvent.newBuilder().setStreamId("a").setSeq(1).setEventTime(2).setText("x").build();
    AvroValueSerializationSchema<TextEvent> writeTime =
        new AvroValueSerializationSchema<>("t", TextEvent.class, null, OutputTimestamp.WRITE_TIME);
    AvroValueSerializationSchema<TextEvent> eventTime =
        new AvroValueSerializationSchema<>("t", TextEvent.class, null, OutputTimestamp.EVENT_TIME);

    assertThat(writeTime.serialize(a, null, 1_700_000_000_000L).timestamp()).isNull();
    assertThat(eventTime.serialize(a, null, 1_700_000_000_000L).timestamp())
        .isEqualTo(1_700_000_000_000L);
  }
}
