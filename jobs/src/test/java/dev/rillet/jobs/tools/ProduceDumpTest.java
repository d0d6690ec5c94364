package dev.rillet.jobs.tools;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rillet.avro.TextEvent;
import dev.rillet.jobs.RilletTestAccess;
import dev.rillet.kafka.AvroJson;
import dev.rillet.kafka.TextEventJson;
import dev.rillet.kafka.testutils.EmbeddedKafkaExtension;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** {@code rillet produce} then {@code rillet dump} on a real broker, as a user runs them. */
class ProduceDumpTest {
  @RegisterExtension static final EmbeddedKafkaExtension KAFKA = new EmbeddedKafkaExtension();

  @TempDir Path tmp;

  @Test
  void producedEventsAreKeyedTimestampedAndDumpedBack() throws Exception {
    KAFKA.createTopics(3, "pd.text");
    Path input = tmp.resolve("in.jsonl");
    List<TextEvent> events = writeEvents(input, 30, 4);

    assertThat(
            RilletTestAccess.run(
                "produce",
                "--input",
                input.toString(),
                "--topic",
                "pd.text",
                "--bootstrap-servers",
                KAFKA.bootstrapServers()))
        .isZero();
    List<ConsumerRecord<byte[], byte[]>> raw =
        KAFKA.client().readCommittedRaw("pd.text", events.size(), Duration.ofSeconds(30));
    assertThat(raw).hasSize(events.size());
    for (ConsumerRecord<byte[], byte[]> r : raw) {
      TextEvent e = TextEvent.getDecoder().decode(r.value());
      assertThat(new String(r.key(), StandardCharsets.UTF_8)).isEqualTo(e.getStreamId());
      assertThat(r.timestamp()).isEqualTo(e.getEventTime());
    }

    Path output = tmp.resolve("out.jsonl");
    assertThat(
            RilletTestAccess.run(
                "dump",
                "--topic",
                "pd.text",
                "--output",
                output.toString(),
                "--bootstrap-servers",
                KAFKA.bootstrapServers()))
        .isZero();
    List<TextEvent> dumped = new ArrayList<>();
    long n = 0;
    for (String line : Files.readAllLines(output)) {
      dumped.add(TextEventJson.parse(line, ++n));
    }
    assertThat(dumped).containsExactlyInAnyOrderElementsOf(events);
    // Per stream, the file order survives (one stream, one partition).
    for (int s = 0; s < 4; s++) {
      String id = "stream-" + s;
      assertThat(dumped.stream().filter(e -> e.getStreamId().equals(id)).map(TextEvent::getSeq))
          .isSorted();
    }
  }

  /**
   * Writes {@code n} events as JSON lines, round robin over {@code streams} streams named {@code
   * stream-<i>}, one second of event time apart, and returns them.
   */
  static List<TextEvent> writeEvents(Path file, int n, int streams) throws Exception {
    List<TextEvent> events = new ArrayList<>();
    List<String> lines = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      TextEvent e =
          TextEvent.newBuilder()
              .setStreamId("stream-" + (i % streams))
              .setSeq(i / streams)
              .setEventTime(1_700_000_000_000L + i * 1_000L)
              .setText("event number " + i + ".")
              .build();
      events.add(e);
      lines.add(AvroJson.toJson(e));
    }
    Files.write(file, lines);
    return events;
  }

  @Test
  void produceReportsEveryBadLineWithItsNumberAndProducesNothing() throws Exception {
    Path input = tmp.resolve("bad.jsonl");
    Files.writeString(
        input,
        "{\"streamId\":\"a\",\"seq\":0,\"eventTime\":1,\"text\":\"hi\"}\nnot json\n"
            + "{\"streamId\":\"a\",\"seq\":1,\"eventTime\":2,\"text\":\"ok\"}\n"
            + "{\"streamId\":\"\",\"seq\":2,\"eventTime\":3,\"text\":\"x\"}\n");
    KAFKA.createTopics(1, "pd.bad");
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int rc =
        RilletTestAccess.run(
            new PrintStream(err, true, StandardCharsets.UTF_8),
            "produce",
            "--input",
            input.toString(),
            "--topic",
            "pd.bad",
            "--bootstrap-servers",
            KAFKA.bootstrapServers());
    assertThat(rc).isEqualTo(2);
    // Every bad line at once, with its number; the good lines are not produced either.
    assertThat(err.toString(StandardCharsets.UTF_8))
        .contains("--input", "2 bad lines", "line 2: invalid JSON", "line 4: field 'streamId'")
        .doesNotContain("line 1:", "line 3:");
    assertThat(KAFKA.client().readCommittedRaw("pd.bad", 0, Duration.ofSeconds(5))).isEmpty();
  }
}
