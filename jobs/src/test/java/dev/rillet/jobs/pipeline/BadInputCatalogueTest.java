package dev.rillet.jobs.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rillet.avro.RejectedRecord;
import dev.rillet.avro.TextEvent;
import dev.rillet.avro.TokenTag;
import dev.rillet.kafka.KafkaOptions;
import dev.rillet.kafka.RilletKafka;
import dev.rillet.kafka.testutils.EmbeddedKafkaExtension;
import dev.rillet.kafka.testutils.KafkaTestClient;
import dev.rillet.testutils.TestModels;
import dev.rillet.tokenize.Token;
import dev.rillet.tokenize.WordTokenizer;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.connector.kafka.source.enumerator.initializer.OffsetsInitializer;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The bad-input catalogue (docs/bad-input.md): one live-job run on a real broker over one topic
 * that holds every kind of bad record between valid ones, then one test per row of the table. Every
 * row's outcome is checked on the job's real outputs: the dead letter with its reason and source
 * partition/offset, the counted drop, or the tags of an accepted event. The job must keep running
 * through all of it: the valid event produced after every bad one is tagged.
 */
class BadInputCatalogueTest {
  @RegisterExtension static final EmbeddedKafkaExtension KAFKA = new EmbeddedKafkaExtension();

  private static final Path MODEL = TestModels.get("test-gru");
  private static final Duration READ_TIMEOUT = Duration.ofSeconds(60);
  private static final String TOPIC = "bad.text";
  private static final String JOB = "bad-input-catalogue";
  private static final long T0 = 1_700_000_000_000L;

  /** Text with a control char, zero-width and bidi marks and 4-byte emoji (one a ZWJ family). */
  static final String UNICODE_TEXT =
      "Bell\u0007rings \u200Bzero\u200Bwidth \u200Fright\u200E to left "
          + "\uD83D\uDE00 and \uD83D\uDC68\u200D\uD83D\uDC69\u200D\uD83D\uDC67 ok \uD83D\uDC4D.";

  /** A text of 200,000 tokens, 1,000,000 chars: ten times the default --max-event-chars. */
  static final String HUGE_TEXT = "word ".repeat(200_000);

  private static final Map<String, RecordMetadata> BAD = new HashMap<>();
  private static byte[] invalidUtf8Value;
  private static List<RejectedRecord> deadLetters;
  private static Map<String, List<KafkaTestClient.Received<TokenTag>>> tagsByStream;
  private static long eventTime = T0;

  @BeforeAll
  static void runTheJobOverEveryBadRecord() throws Exception {
    Configuration conf = new Configuration();
    conf.set(KafkaOptions.BOOTSTRAP_SERVERS, KAFKA.bootstrapServers());
    conf.set(KafkaOptions.INPUT_TOPIC, TOPIC);
    conf.set(KafkaOptions.TAGS_TOPIC, "bad.tags");
    conf.set(KafkaOptions.SENTIMENT_TOPIC, "bad.sentiment");
    conf.set(KafkaOptions.DEAD_LETTER_TOPIC, "bad.dead");
    conf.set(KafkaOptions.TRANSACTIONAL_ID_PREFIX, "bad-" + System.nanoTime());
    conf.set(SentenceOptions.ELMO, SentenceOptions.NONE);
    conf.set(PipelineOptions.CHECKPOINT_INTERVAL, Duration.ofMillis(500));
    // One partition: the records reach the job in the order they are written here.
    KAFKA.createTopics(1, TOPIC, "bad.tags", "bad.sentiment", "bad.dead");

    try (KafkaTestClient client = KAFKA.client()) {
      client.send(TOPIC, "ok", event("ok", 0, "The cat sat on the mat."));

      // Bytes that are not a TextEvent.
      BAD.put("notAvro", client.sendRaw(TOPIC, null, utf8("x"), utf8("this is not avro")));
      byte[] unknown = KafkaTestClient.encode(event("fp", 0, "unknown fingerprint"));
      for (int i = 2; i < 10; i++) {
        unknown[i] ^= (byte) 0x5A; // the 8 fingerprint bytes after the C3 01 marker
      }
      BAD.put("unknownFingerprint", client.sendRaw(TOPIC, null, utf8("fp"), unknown));
      byte[] whole = KafkaTestClient.encode(event("cut", 0, "this body is cut short"));
      BAD.put(
          "truncated",
          client.sendRaw(TOPIC, null, utf8("cut"), Arrays.copyOf(whole, whole.length - 12)));
      BAD.put("tombstone", client.sendRaw(TOPIC, null, utf8("gone"), null));

      // Invalid events.
      BAD.put("emptyStreamId", client.send(TOPIC, "", event("", 0, "no id")));
      BAD.put("blankStreamId", client.send(TOPIC, " ", event(" \t", 0, "blank id")));
      BAD.put("emptyText", client.send(TOPIC, "empty", event("empty", 0, "")));
      BAD.put("negativeSeq", client.send(TOPIC, "neg", event("neg", -1, "negative")));

      // Keys: state follows streamId, whatever the key says.
      client.send(TOPIC, "another-key", event("keyed", 0, "Hello there"));
      client.send(TOPIC, "keyed", event("keyed", 1, "again."));
      client.send(TOPIC, null, event("nokey", 0, "No key here."));

      // Seq: duplicates and older events are dropped; gaps are fine.
      client.send(TOPIC, "dup", event("dup", 0, "one two"));
      client.send(TOPIC, "dup", event("dup", 1, "three"));
      client.send(TOPIC, "dup", event("dup", 1, "DUPLICATE"));
      client.send(TOPIC, "dup", event("dup", 0, "OLDER"));
      client.send(TOPIC, "dup", event("dup", 2, "four."));
      client.send(TOPIC, "gaps", event("gaps", 0, "first"));
      client.send(TOPIC, "gaps", event("gaps", 5, "second"));
      client.send(TOPIC, "gaps", event("gaps", 1000, "third."));

      // Text that is not UTF-8 inside a well-formed Avro string: "ab" becomes C3 28.
      byte[] value = KafkaTestClient.encode(event("utf8", 0, "caf-ab-end"));
      int at = indexOf(value, utf8("-ab-")) + 1;
      value[at] = (byte) 0xC3;
      value[at + 1] = (byte) 0x28;
      invalidUtf8Value = value;
      BAD.put("invalidUtf8", client.sendRaw(TOPIC, null, utf8("utf8"), value));
      // A real U+FFFD in the text is valid UTF-8 and must be accepted.
      client.send(TOPIC, "fffd", event("fffd", 0, "a \uFFFD b"));

      BAD.put("huge", client.send(TOPIC, "huge", event("huge", 0, HUGE_TEXT)));
      client.send(TOPIC, "unicode", event("unicode", 0, UNICODE_TEXT));

      // After every bad record: a valid event, which must be tagged.
      client.send(TOPIC, "ok", event("ok", 1, "The end."));

      StreamExecutionEnvironment env = LiveEnvironment.create(conf, CountersReporter.settings());
      LiveJob.build(
          env, conf, MODEL, RilletKafka.source(conf).bounded(OffsetsInitializer.latest()).build());
      env.execute(JOB);

      deadLetters =
          client.readSettled("bad.dead", READ_TIMEOUT, RejectedRecord.getDecoder()).stream()
              .map(KafkaTestClient.Received::value)
              .toList();
      tagsByStream = new HashMap<>();
      for (var r : client.readSettled("bad.tags", READ_TIMEOUT, TokenTag.getDecoder())) {
        tagsByStream.computeIfAbsent(r.value().getStreamId(), k -> new ArrayList<>()).add(r);
      }
    }
  }

  @Test
  void everyBadRecordIsOneDeadLetterWithItsSourceAndCounted() {
    assertThat(deadLetters)
        .extracting(
            d -> d.getSourceTopic() + "-" + d.getSourcePartition() + "@" + d.getSourceOffset())
        .containsExactlyInAnyOrderElementsOf(
            BAD.values().stream()
                .map(m -> m.topic() + "-" + m.partition() + "@" + m.offset())
                .toList());
    assertThat(CountersReporter.total(JOB, "deadLetters")).isEqualTo(BAD.size());
  }

  @Test
  void theJobKeepsRunningAndTagsTheEventAfterAllBadOnes() {
    assertThat(tokens("ok", 1)).containsExactly("The", "end", ".");
  }

  @Test
  void notAvro() {
    assertThat(reason("notAvro")).startsWith("cannot decode Avro TextEvent").contains("header");
    assertThat(deadLetter("notAvro").getValue())
        .isEqualTo(ByteBuffer.wrap(utf8("this is not avro")));
  }

  @Test
  void unknownSchemaFingerprint() {
    assertThat(reason("unknownFingerprint")).contains("fingerprint");
  }

  @Test
  void truncatedBody() {
    assertThat(reason("truncated"))
        .startsWith("cannot decode Avro TextEvent")
        .contains("truncated");
  }

  @Test
  void tombstone() {
    assertThat(reason("tombstone")).contains("null record value", "tombstone");
    assertThat(deadLetter("tombstone").getValue()).isNull();
    assertThat(deadLetter("tombstone").getKey()).isEqualTo(ByteBuffer.wrap(utf8("gone")));
  }

  @Test
  void missingOrBlankStreamId() {
    assertThat(reason("emptyStreamId")).isEqualTo("missing streamId (null or blank)");
    assertThat(reason("blankStreamId")).isEqualTo("missing streamId (null or blank)");
  }

  @Test
  void keyThatDiffersFromStreamIdStateFollowsStreamId() {
    List<KafkaTestClient.Received<TokenTag>> keyed = tagsByStream.get("keyed");
    assertThat(keyed)
        .extracting(r -> r.value().getToken())
        .containsExactly("Hello", "there", "again", ".");
    // One stream, one state: positions run on across the two keys.
    assertThat(keyed).extracting(r -> r.value().getPosition()).containsExactly(0L, 1L, 2L, 3L);
    // Outputs are keyed by streamId.
    assertThat(keyed).extracting(KafkaTestClient.Received::keyString).containsOnly("keyed");
  }

  @Test
  void nullKeyIsAccepted() {
    assertThat(tokens("nokey", 0)).containsExactly("No", "key", "here", ".");
  }

  @Test
  void emptyTextWithoutEndOfStream() {
    assertThat(reason("emptyText")).startsWith("empty text on an event that is not end of stream");
  }

  @Test
  void negativeSeq() {
    assertThat(reason("negativeSeq")).startsWith("negative seq -1");
  }

  @Test
  void duplicateAndOlderSeqAreCountedDrops() {
    assertThat(tagsByStream.get("dup"))
        .extracting(r -> r.value().getSeq() + ":" + r.value().getToken())
        .containsExactly("0:one", "0:two", "1:three", "2:four", "2:.");
    // seq 1 again (duplicate) and seq 0 after 1 (older): nothing else in the run repeats a seq.
    assertThat(CountersReporter.total(JOB, "droppedDuplicates")).isEqualTo(2);
  }

  @Test
  void seqGapsAreAccepted() {
    assertThat(tagsByStream.get("gaps"))
        .extracting(
            r -> r.value().getSeq() + ":" + r.value().getToken() + "@" + r.value().getPosition())
        .containsExactly("0:first@0", "5:second@1", "1000:third@2", "1000:.@3");
  }

  @Test
  void invalidUtf8TextIsADeadLetterWithItsBytes() {
    assertThat(reason("invalidUtf8")).contains("field 'text'", "not valid UTF-8");
    assertThat(deadLetter("invalidUtf8").getValue()).isEqualTo(ByteBuffer.wrap(invalidUtf8Value));
    assertThat(tagsByStream).doesNotContainKey("utf8");
    // A replacement character that is really in the text is valid UTF-8: tagged.
    assertThat(tokens("fffd", 0)).containsExactly("a", "\uFFFD", "b");
  }

  @Test
  void textLongerThanMaxEventCharsIsADeadLetterNamingTheLimit() {
    assertThat(HUGE_TEXT).hasSize(1_000_000);
    assertThat(reason("huge"))
        .contains("1000000 chars", "limit of 100000", "--max-event-chars", "stream huge");
    assertThat(tagsByStream).doesNotContainKey("huge");
  }

  @Test
  void unicodeOffsetsAreUtf16CodeUnitsOfTheText() {
    List<TokenTag> tags = tagsByStream.get("unicode").stream().map(r -> r.value()).toList();
    List<Token> expected = new WordTokenizer().tokenize(UNICODE_TEXT);
    assertThat(tags).hasSameSizeAs(expected);
    for (int i = 0; i < tags.size(); i++) {
      TokenTag t = tags.get(i);
      assertThat(UNICODE_TEXT.substring(t.getBegin(), t.getEnd())).isEqualTo(t.getToken());
      assertThat(t.getBegin()).isEqualTo(expected.get(i).begin());
      assertThat(t.getEnd()).isEqualTo(expected.get(i).end());
    }
    String smile = "\uD83D\uDE00";
    String family = "\uD83D\uDC68\u200D\uD83D\uDC69\u200D\uD83D\uDC67";
    assertThat(tags)
        .filteredOn(t -> t.getToken().equals(smile))
        .singleElement()
        .satisfies(t -> assertThat(t.getBegin()).isEqualTo(UNICODE_TEXT.indexOf(smile)))
        .satisfies(t -> assertThat(t.getEnd() - t.getBegin()).isEqualTo(2));
    assertThat(tags)
        .filteredOn(t -> t.getToken().equals(family))
        .singleElement()
        .satisfies(t -> assertThat(t.getEnd() - t.getBegin()).isEqualTo(8));
    // Control, zero-width and bidi marks separate tokens and are never part of one.
    assertThat(tags)
        .extracting(TokenTag::getToken)
        .noneMatch(s -> s.matches(".*[\\u0007\\u200B\\u200E\\u200F].*"));
  }

  private static TextEvent event(String streamId, long seq, String text) {
    eventTime += 10;
    return TextEvent.newBuilder()
        .setStreamId(streamId)
        .setSeq(seq)
        .setEventTime(eventTime)
        .setText(text)
        .build();
  }

  private static RejectedRecord deadLetter(String row) {
    RecordMetadata m = BAD.get(row);
    return deadLetters.stream()
        .filter(d -> d.getSourcePartition() == m.partition() && d.getSourceOffset() == m.offset())
        .findFirst()
        .orElseThrow(() -> new AssertionError("no dead letter for " + row + " at " + m));
  }

  private static String reason(String row) {
    RejectedRecord d = deadLetter(row);
    assertThat(d.getSourceTopic()).isEqualTo(TOPIC);
    return d.getReason();
  }

  private static List<String> tokens(String streamId, long seq) {
    return tagsByStream.getOrDefault(streamId, List.of()).stream()
        .filter(r -> r.value().getSeq() == seq)
        .map(r -> r.value().getToken())
        .toList();
  }

  private static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  private static int indexOf(byte[] haystack, byte[] needle) {
    outer:
    for (int i = 0; i + needle.length <= haystack.length; i++) {
      for (int j = 0; j < needle.length; j++) {
        if (haystack[i + j] != needle[j]) {
          continue outer;
        }
      }
      return i;
    }
    throw new IllegalArgumentException("not found");
  }
}
