package dev.rillet.kafka;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rillet.avro.RejectedRecord;
import dev.rillet.avro.TextEvent;
import dev.rillet.kafka.testutils.KafkaTestClient;
import dev.rillet.testutils.InterceptedMetrics;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.apache.flink.metrics.Counter;
import org.apache.flink.streaming.api.operators.ProcessOperator;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.OneInputStreamOperatorTestHarness;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class TextEventDecoderTest {
  private static final String TOPIC = "rillet.text";

  private InterceptedMetrics metrics;
  private OneInputStreamOperatorTestHarness<KafkaInputRecord, TextEvent> harness;
  private long nextOffset;

  @BeforeEach
  void setUp() throws Exception {
    metrics = new InterceptedMetrics();
    harness =
        new OneInputStreamOperatorTestHarness<>(
            new ProcessOperator<>(new TextEventDecoder()), metrics.environment());
    harness.open();
  }

  @AfterEach
  void tearDown() throws Exception {
    harness.close();
    metrics.close();
  }

  @Test
  void passesValidEventsThrough() throws Exception {
    TextEvent event = event("s-1", 7, "Hello there.", false);
    event.setAttributes(Map.of("lang", "en"));

    process(bytes("s-1"), KafkaTestClient.encode(event));

    assertThat(harness.extractOutputValues()).containsExactly(event);
    assertThat(rejected()).isEmpty();
    assertThat(deadLetters()).isZero();
  }

  @Test
  void acceptsEndOfStreamWithEmptyText() throws Exception {
    TextEvent eos = event("s-1", 8, "", true);

    process(bytes("s-1"), KafkaTestClient.encode(eos));

    assertThat(harness.extractOutputValues()).containsExactly(eos);
    assertThat(rejected()).isEmpty();
  }

  @Test
  void rejectsGarbageBytesKeepingThemWhole() throws Exception {
    byte[] key = bytes("k");
    byte[] garbage = {(byte) 0xC3, 0x01, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
    byte[] notAvro = bytes("{\"streamId\":\"s\"}");
    byte[] truncated = Arrays.copyOf(KafkaTestClient.encode(event("s", 1, "text", false)), 12);

    process(key, garbage);
    process(null, notAvro);
    process(key, truncated);

    assertThat(harness.extractOutputValues()).isEmpty();
    List<RejectedRecord> rejected = rejected();
    assertThat(rejected).hasSize(3);
    assertThat(rejected)
        .allSatisfy(r -> assertThat(r.getReason()).startsWith("cannot decode Avro TextEvent"));
    RejectedRecord first = rejected.get(0);
    assertThat(first.getSourceTopic()).isEqualTo(TOPIC);
    assertThat(first.getSourcePartition()).isEqualTo(2);
    assertThat(first.getSourceOffset()).isEqualTo(0L);
    assertThat(first.getSourceTimestamp()).isEqualTo(1_000L);
    assertThat(toArray(first.getKey())).isEqualTo(key);
    assertThat(toArray(first.getValue())).isEqualTo(garbage);
    assertThat(rejected.get(1).getKey()).isNull();
    assertThat(toArray(rejected.get(1).getValue())).isEqualTo(notAvro);
    assertThat(rejected.get(2).getSourceOffset()).isEqualTo(2L);
    assertThat(deadLetters()).isEqualTo(3);
  }

  @Test
  void rejectsMissingValue() throws Exception {
    process(bytes("k"), null);

    assertThat(rejected())
        .singleElement()
        .satisfies(
            r -> {
              assertThat(r.getReason()).contains("missing value");
              assertThat(r.getValue()).isNull();
            });
  }

  @Test
  void rejectsBlankStreamId() throws Exception {
    process(null, KafkaTestClient.encode(event("", 1, "text", false)));
    process(null, KafkaTestClient.encode(event("  ", 2, "text", false)));

    assertThat(harness.extractOutputValues()).isEmpty();
    assertThat(reasons()).allSatisfy(r -> assertThat(r).contains("missing streamId")).hasSize(2);
  }

  @Test
  void rejectsEmptyTextOnNonFinalEvent() throws Exception {
    byte[] value = KafkaTestClient.encode(event("s-2", 3, "", false));

    process(bytes("s-2"), value);

    assertThat(harness.extractOutputValues()).isEmpty();
    assertThat(rejected())
        .singleElement()
        .satisfies(
            r -> {
              assertThat(r.getReason()).contains("empty text").contains("s-2").contains("seq 3");
              assertThat(toArray(r.getValue())).isEqualTo(value);
            });
  }

  @Test
  void rejectsNegativeSeq() throws Exception {
    process(bytes("s-3"), KafkaTestClient.encode(event("s-3", -1, "text", false)));

    assertThat(reasons()).singleElement().asString().contains("negative seq -1");
  }

  @Test
  void keepsGoingAfterBadRecords() throws Exception {
    TextEvent a = event("a", 1, "one", false);
    TextEvent b = event("b", 1, "two", false);

    process(bytes("a"), KafkaTestClient.encode(a));
    process(bytes("x"), new byte[] {1, 2, 3});
    process(bytes("b"), KafkaTestClient.encode(b));

    assertThat(harness.extractOutputValues()).containsExactly(a, b);
    assertThat(rejected()).extracting(RejectedRecord::getSourceOffset).containsExactly(1L);
    assertThat(deadLetters()).isEqualTo(1);
  }

  private void process(byte[] key, byte[] value) throws Exception {
    long offset = nextOffset++;
    harness.processElement(
        new StreamRecord<>(new KafkaInputRecord(TOPIC, 2, offset, 1_000L + offset, key, value)));
  }

  private List<RejectedRecord> rejected() {
    var queue = harness.getSideOutput(TextEventDecoder.REJECTED);
    return queue == null
        ? List.of()
        : queue.stream().map(StreamRecord::getValue).collect(Collectors.toList());
  }

  private List<String> reasons() {
    return rejected().stream().map(RejectedRecord::getReason).collect(Collectors.toList());
  }

  private long deadLetters() {
    return ((Counter) metrics.get(TextEventDecoder.DEAD_LETTERS_METRIC)).getCount();
  }

  private static TextEvent event(String streamId, long seq, String text, boolean endOfStream) {
    return TextEvent.newBuilder()
        .setStreamId(streamId)
        .setSeq(seq)
        .setEventTime(1_700_000_000_000L + seq)
        .setText(text)
        .setEndOfStream(endOfStream)
        .build();
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  private static byte[] toArray(ByteBuffer buffer) {
    ByteBuffer b = buffer.duplicate();
    byte[] out = new byte[b.remaining()];
    b.get(out);
    return out;
  }
}
