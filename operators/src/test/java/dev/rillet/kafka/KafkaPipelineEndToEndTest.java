package dev.rillet.kafka;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rillet.avro.RejectedRecord;
import dev.rillet.avro.TextEvent;
import dev.rillet.kafka.testutils.EmbeddedKafkaExtension;
import dev.rillet.kafka.testutils.KafkaTestClient;
import dev.rillet.kafka.testutils.KafkaTestClient.Received;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.connector.kafka.source.enumerator.initializer.OffsetsInitializer;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A real job on a real Flink MiniCluster against a real broker: a 3-partition input topic with good
 * and bad records, read by a bounded source, decoded, and written by EXACTLY_ONCE sinks to an
 * events topic and a dead-letter topic. Every good record must arrive exactly once (read_committed)
 * and every bad one must be a dead letter naming its source partition and offset.
 */
class KafkaPipelineEndToEndTest {
  @RegisterExtension static final EmbeddedKafkaExtension KAFKA = new EmbeddedKafkaExtension();

  private static final String IN = "e2e.text";
  private static final String OUT = "e2e.events";
  private static final String DEAD = "e2e.dead-letters";
  private static final Duration READ_TIMEOUT = Duration.ofSeconds(60);

  /** Where a bad record landed and the reason it must be rejected for. */
  private record Bad(int partition, long offset, byte[] value, String reason) {}

  @Test
  void decodesExactlyOnceAndDeadLettersBadRecords() throws Exception {
    KAFKA.createTopics(3, IN, OUT);
    KAFKA.createTopics(1, DEAD);
    KafkaTestClient client = KAFKA.client();

    List<TextEvent> good = new ArrayList<>();
    List<Bad> bad = new ArrayList<>();
    for (int seq = 0; seq < 10; seq++) {
      for (int s = 0; s < 6; s++) {
        TextEvent e = event("stream-" + s, seq, "Sentence " + seq + " of stream " + s + ".");
        client.send(IN, e.getStreamId(), e);
        good.add(e);
      }
      // A bad record on every partition, interleaved with the good ones.
      int partition = seq % 3;
      byte[] garbage = ("not avro " + seq).getBytes(StandardCharsets.UTF_8);
      RecordMetadata m = client.sendRaw(IN, partition, null, garbage);
      bad.add(new Bad(m.partition(), m.offset(), garbage, "cannot decode Avro TextEvent"));
    }
    byte[] noStream = KafkaTestClient.encode(event(" ", 1, "who am I"));
    RecordMetadata m1 = client.sendRaw(IN, 1, null, noStream);
    bad.add(new Bad(m1.partition(), m1.offset(), noStream, "missing streamId"));
    byte[] empty = KafkaTestClient.encode(event("stream-9", 1, ""));
    RecordMetadata m2 = client.sendRaw(IN, 2, "stream-9".getBytes(StandardCharsets.UTF_8), empty);
    bad.add(new Bad(m2.partition(), m2.offset(), empty, "empty text"));

    // A local environment runs the job on an in-process MiniCluster. (flink-test-utils'
    // MiniClusterExtension needs JUnit 4 on the class path, which the build excludes.)
    StreamExecutionEnvironment env = StreamExecutionEnvironment.createLocalEnvironment(2);
    env.enableCheckpointing(500);
    SingleOutputStreamOperator<TextEvent> events =
        RilletKafka.decode(
            env.fromSource(
                RilletKafka.source()
                    .bootstrapServers(KAFKA.bootstrapServers())
                    .topic(IN)
                    .groupId("e2e")
                    .startingOffsets("earliest")
                    .bounded(OffsetsInitializer.latest())
                    .build(),
                WatermarkStrategy.noWatermarks(),
                "input"));
    events.sinkTo(
        RilletKafka.sink(TextEvent.class)
            .bootstrapServers(KAFKA.bootstrapServers())
            .topic(OUT)
            .key(TextEvent::getStreamId)
            .transactionalIdPrefix("e2e-events")
            .build());
    events
        .getSideOutput(TextEventDecoder.REJECTED)
        .sinkTo(
            RilletKafka.sink(RejectedRecord.class)
                .bootstrapServers(KAFKA.bootstrapServers())
                .topic(DEAD)
                .transactionalIdPrefix("e2e-dead")
                .build());

    long start = System.nanoTime();
    env.execute("kafka-e2e");
    System.out.printf("end-to-end job ran in %d ms%n", (System.nanoTime() - start) / 1_000_000);

    List<Received<TextEvent>> out =
        client.readCommitted(OUT, good.size(), READ_TIMEOUT, TextEvent.getDecoder());
    assertThat(out).extracting(Received::value).containsExactlyInAnyOrderElementsOf(good);
    assertThat(out).allSatisfy(r -> assertThat(r.keyString()).isEqualTo(r.value().getStreamId()));
    // Per stream, order is kept (one stream lives in one input partition and one output one).
    Map<String, List<Long>> seqs =
        out.stream()
            .map(Received::value)
            .collect(
                Collectors.groupingBy(
                    TextEvent::getStreamId,
                    Collectors.mapping(TextEvent::getSeq, Collectors.toList())));
    assertThat(seqs).hasSize(6);
    seqs.values().forEach(l -> assertThat(l).isSorted());

    List<Received<RejectedRecord>> dead =
        client.readCommitted(DEAD, bad.size(), READ_TIMEOUT, RejectedRecord.getDecoder());
    assertThat(dead).hasSize(bad.size());
    Map<String, RejectedRecord> byPosition = new HashMap<>();
    for (Received<RejectedRecord> r : dead) {
      RejectedRecord rr = r.value();
      byPosition.put(rr.getSourcePartition() + "@" + rr.getSourceOffset(), rr);
    }
    for (Bad b : bad) {
      RejectedRecord r = byPosition.get(b.partition() + "@" + b.offset());
      assertThat(r).as("dead letter for %s-%d@%d", IN, b.partition(), b.offset()).isNotNull();
      assertThat(r.getSourceTopic()).isEqualTo(IN);
      assertThat(r.getReason()).contains(b.reason());
      assertThat(bytes(r.getValue())).isEqualTo(b.value());
    }
  }

  private static TextEvent event(String streamId, long seq, String text) {
    return TextEvent.newBuilder()
        .setStreamId(streamId)
        .setSeq(seq)
        .setEventTime(1_700_000_000_000L + seq * 1_000)
        .setText(text)
        .setAttributes(Map.of("source", "e2e"))
        .build();
  }

  private static byte[] bytes(ByteBuffer buffer) {
    ByteBuffer b = buffer.duplicate();
    byte[] out = new byte[b.remaining()];
    b.get(out);
    return out;
  }
}
