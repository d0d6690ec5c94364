package dev.rillet.jobs.pipeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.rillet.avro.RejectedRecord;
import dev.rillet.avro.SentenceAnalysis;
import dev.rillet.avro.SentenceToken;
import dev.rillet.avro.StreamSentiment;
import dev.rillet.avro.TextEvent;
import dev.rillet.avro.TokenTag;
import dev.rillet.jobs.RilletTestAccess;
import dev.rillet.jobs.tools.TextEventProducer;
import dev.rillet.kafka.AvroJson;
import dev.rillet.kafka.KafkaOptions;
import dev.rillet.kafka.testutils.EmbeddedKafkaExtension;
import dev.rillet.kafka.testutils.KafkaTestClient;
import dev.rillet.testutils.TestElmo;
import dev.rillet.testutils.TestModels;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import org.apache.flink.configuration.Configuration;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Live versus backfill on a real in-process Kafka broker and Flink MiniClusters. A recorded input
 * (streams starting throughout a quarter of an hour, sentences running across the range boundaries,
 * idle gaps, one stream that expires and restarts, duplicates, a bad record) is run through the
 * live job ({@code rillet live --stop-when-idle}); then sub-ranges are backfilled with and without
 * warm-up and compared record by record with the live outputs of the same events.
 */
class BackfillEndToEndTest {
  @RegisterExtension static final EmbeddedKafkaExtension KAFKA = new EmbeddedKafkaExtension();

  private static final Path MODEL = TestModels.get("test-gru");
  private static final long T0 = Instant.parse("2024-03-01T10:00:00Z").toEpochMilli();
  private static final String INPUT = "bf.text";
  private static final String TAGS = "bf.tags";
  private static final String SENTIMENT = "bf.sentiment";
  private static final String DEAD = "bf.dead";
  private static final String SENTENCES = "bf.sentences";
  private static final String STREAM_TTL = "2min";
  private static final Duration READ = Duration.ofSeconds(60);

  /** Every record written to the input topic, in write order (= per-partition offset order). */
  private static final List<TextEvent> produced = new ArrayList<>();

  private static final long BAD_RECORD_TIME = T0 + 300_000;
  private static List<TokenTag> liveTags;
  private static List<StreamSentiment> liveSentiment;
  private static List<SentenceAnalysis> liveSentences;
  private static Path elmo;
  private static Path heads;

  /**
   * Below this event time the live job's final watermark had closed every idle sentence: the least
   * advanced input partition's newest event minus the out-of-orderness. Sentences that close later
   * are still open when live stops (their idle deadlines wait for more input), while the replay's
   * end of input closes them, so only earlier ones are compared.
   */
  private static long liveWatermark;

  private static final Map<String, Long> eventTimes = new HashMap<>();

  @TempDir static Path tmp;

  @BeforeAll
  static void recordInputAndRunLive() throws Exception {
    KAFKA.createTopics(4, INPUT, TAGS, SENTIMENT, DEAD, SENTENCES);
    // The sentence stage runs too, on a small random biLM (any weights do: live and replay must
    // agree), so replay is checked for SentenceAnalysis records as well.
    elmo = TestElmo.write(tmp.resolve("elmo"), 11);
    heads = TestElmo.headsFor(elmo, TestModels.get("test-elmo-heads"), tmp.resolve("heads"));
    List<String> words = Files.readAllLines(MODEL.resolve("vocab.txt")).subList(2, 300);
    Random random = new Random(7);
    List<TextEvent> events = new ArrayList<>();
    for (int s = 0; s < 24; s++) {
      String id = "s" + s;
      long t = T0 + s * 35_000L + random.nextInt(5_000);
      int n = 6 + random.nextInt(9);
      for (int seq = 0; seq < n; seq++) {
        StringBuilder text = new StringBuilder();
        int w = 1 + random.nextInt(6);
        for (int i = 0; i < w; i++) {
          text.append(i == 0 ? "" : " ").append(words.get(random.nextInt(words.size())));
        }
        // Mostly open fragments, so sentences run across events and range boundaries.
        text.append(random.nextInt(4) == 0 ? "." : random.nextInt(3) == 0 ? "," : "");
        boolean eos = s % 5 == 0 && seq == n - 1;
        events.add(event(id, seq, t, text.toString(), eos));
        // Gaps of 2-25 s: some exceed the 10 s idle gap, so idle-gap closes happen too.
        t += 2_000 + random.nextInt(23_000);
        if (id.equals("s3") && seq == 3) {
          t += 300_000; // longer than the 2 min TTL: the stream expires and restarts
        }
      }
    }
    events.sort(Comparator.comparingLong(TextEvent::getEventTime));
    for (TextEvent e : events) {
      eventTimes.put(e.getStreamId() + "#" + e.getSeq(), e.getEventTime());
    }
    // Duplicates: every 4th stream repeats its seq 2 right after seq 3 (an at-least-once retry).
    for (int i = 0; i < events.size(); i++) {
      TextEvent e = events.get(i);
      produced.add(e);
      if (e.getSeq() == 3 && Integer.parseInt(e.getStreamId().substring(1)) % 4 == 0) {
        produced.add(find(events, e.getStreamId(), 2));
      }
    }
    try (TextEventProducer producer = new TextEventProducer(KAFKA.bootstrapServers(), INPUT)) {
      int half = produced.size() / 2;
      for (int i = 0; i < produced.size(); i++) {
        producer.send(produced.get(i));
        if (i == half) {
          producer.sendRaw(
              "bad".getBytes(StandardCharsets.UTF_8),
              "not avro".getBytes(StandardCharsets.UTF_8),
              BAD_RECORD_TIME);
        }
      }
    }

    int rc =
        RilletTestAccess.run(
            "live",
            "--bootstrap-servers",
            KAFKA.bootstrapServers(),
            "--input-topic",
            INPUT,
            "--tags-topic",
            TAGS,
            "--sentiment-topic",
            SENTIMENT,
            "--dead-letter-topic",
            DEAD,
            "--sentences-topic",
            SENTENCES,
            "--elmo",
            elmo.toString(),
            "--elmo-heads",
            heads.toString(),
            "--group-id",
            "bf-live",
            "--transactional-id-prefix",
            "bf-live-" + System.nanoTime(),
            "--model",
            MODEL.toString(),
            "--parallelism",
            "2",
            "--max-bundle-tokens",
            "32",
            "--stream-ttl",
            STREAM_TTL,
            "--checkpoint-interval",
            "500ms",
            "--stop-when-idle",
            "3s",
            "--state-dir",
            tmp.resolve("live-state").toString());
    assertThat(rc).isZero();
    KafkaTestClient client = KAFKA.client();
    Map<Integer, Long> newestPerPartition = new HashMap<>();
    for (var r : client.readCommittedRaw(INPUT, produced.size(), READ)) {
      try {
        TextEvent e = TextEvent.getDecoder().decode(r.value());
        newestPerPartition.merge(r.partition(), e.getEventTime(), Math::max);
      } catch (Exception notAvro) {
        // the bad record
      }
    }
    liveWatermark =
        newestPerPartition.values().stream().mapToLong(Long::longValue).min().orElseThrow()
            - Duration.ofSeconds(2).toMillis();
    liveTags = values(client.readCommitted(TAGS, 1, READ, TokenTag.getDecoder()));
    liveSentiment = values(client.readCommitted(SENTIMENT, 1, READ, StreamSentiment.getDecoder()));
    liveSentences = values(client.readCommitted(SENTENCES, 1, READ, SentenceAnalysis.getDecoder()));
    assertThat(values(client.readCommitted(DEAD, 1, READ, RejectedRecord.getDecoder()))).hasSize(1);
  }

  @Test
  void warmupCoveringEveryStreamGivesTheLiveOutputsOfTheRange() throws Exception {
    // Boundaries fall inside streams and sentences; the warm-up reaches back before T0.
    Replay r = backfill("full-warmup", T0 + 200_000, T0 + 450_000, Duration.ofMinutes(10), null);
    assertEqualsLive(r);
    assertThat(r.result.streamsOlderThanWarmup()).isZero();
    assertThat(r.result.deadLetters()).isEqualTo(1);
    assertThat(r.result.streamsWarmed()).isPositive();
  }

  @Test
  void withoutWarmupStreamsStartedBeforeTheRangeAreReportedAndTheOthersMatch() throws Exception {
    Replay r = backfill("no-warmup", T0 + 450_000, T0 + 900_000, Duration.ZERO, null);
    assertEqualsLive(r);
    assertThat(r.result.streamsOlderThanWarmup()).isPositive();
    assertThat(r.result.streamsWarmed()).isZero();
    assertThat(r.result.deadLetters()).isZero(); // the bad record lies before the range
  }

  @Test
  void partialWarmupMatchesForStreamsStartedInsideIt() throws Exception {
    Replay r = backfill("partial", T0 + 300_000, T0 + 600_000, Duration.ofMinutes(2), null);
    assertEqualsLive(r);
    assertThat(r.result.streamsOlderThanWarmup()).isPositive();
    assertThat(r.result.streamsWarmed()).isPositive();
  }

  @Test
  void twiceOverTheSameRangeGivesIdenticalOutputAndLiveTopicsAreUntouched() throws Exception {
    int liveBefore = KAFKA.client().readCommittedRaw(TAGS, 1, READ).size();
    Replay a = backfill("twice-a", T0 + 250_000, T0 + 520_000, Duration.ofMinutes(3), null);
    Replay b = backfill("twice-b", T0 + 250_000, T0 + 520_000, Duration.ofMinutes(3), null);
    assertThat(b.tags).hasSameSizeAs(a.tags);
    assertThat(sorted(b.tags)).isEqualTo(sorted(a.tags));
    assertThat(sortedSentiment(b.sentiment)).isEqualTo(sortedSentiment(a.sentiment));
    assertThat(b.sentences.stream().map(AvroJson::toJson).sorted().toList())
        .isEqualTo(a.sentences.stream().map(AvroJson::toJson).sorted().toList());
    assertThat(a.tags).isNotEmpty();
    assertThat(KAFKA.client().readCommittedRaw(TAGS, 1, READ).size()).isEqualTo(liveBefore);
  }

  @Test
  void replayFromAJsonLinesFileEqualsLive() throws Exception {
    Path file = tmp.resolve("input.jsonl");
    List<String> lines = new ArrayList<>();
    for (TextEvent e : produced) {
      lines.add(AvroJson.toJson(e));
    }
    Files.write(file, lines);
    Replay r = backfill("file", T0 + 200_000, T0 + 700_000, Duration.ofMinutes(4), file);
    assertEqualsLive(r);
    assertThat(r.result.recordsIn()).isEqualTo(countRead(T0 + 200_000 - 240_000, T0 + 700_000));
  }

  // ---------------------------------------------------------------------------------------------

  private record Replay(
      BackfillRange range,
      BackfillJob.Result result,
      List<TokenTag> tags,
      List<StreamSentiment> sentiment,
      List<SentenceAnalysis> sentences) {}

  private static Replay backfill(String name, long from, long to, Duration warmup, Path file)
      throws Exception {
    KAFKA.createTopics(
        4, TAGS + "." + name, SENTIMENT + "." + name, DEAD + "." + name, SENTENCES + "." + name);
    Configuration conf = new Configuration();
    conf.set(BackfillOptions.FROM, Instant.ofEpochMilli(from).toString());
    conf.set(BackfillOptions.TO, Long.toString(to));
    conf.set(BackfillOptions.WARMUP, warmup);
    conf.set(BackfillOptions.OUTPUT_SUFFIX, "." + name);
    conf.set(BackfillOptions.RUN_ID, name + "-" + System.nanoTime());
    if (file != null) {
      conf.set(BackfillOptions.INPUT_FILE, file.toString());
    }
    conf.set(KafkaOptions.BOOTSTRAP_SERVERS, KAFKA.bootstrapServers());
    conf.set(KafkaOptions.INPUT_TOPIC, INPUT);
    conf.set(KafkaOptions.TAGS_TOPIC, TAGS);
    conf.set(KafkaOptions.SENTIMENT_TOPIC, SENTIMENT);
    conf.set(KafkaOptions.DEAD_LETTER_TOPIC, DEAD);
    conf.set(KafkaOptions.SENTENCES_TOPIC, SENTENCES);
    conf.set(SentenceOptions.ELMO, elmo.toString());
    conf.set(SentenceOptions.ELMO_HEADS, heads.toString());
    conf.set(PipelineOptions.MODEL, MODEL.toString());
    conf.set(PipelineOptions.PARALLELISM, 2);
    conf.set(PipelineOptions.MAX_BUNDLE_TOKENS, 32);
    conf.set(PipelineOptions.STREAM_TTL, Duration.ofMinutes(2));
    ByteArrayOutputStream console = new ByteArrayOutputStream();
    BackfillJob.Result result =
        BackfillJob.run(conf, new PrintStream(console, true, StandardCharsets.UTF_8), false);
    String printed = console.toString(StandardCharsets.UTF_8);
    assertThat(printed).contains("records in", "streams", "done in");
    KafkaTestClient client = KAFKA.client();
    List<TokenTag> tags =
        values(client.readCommitted(TAGS + "." + name, 0, READ, TokenTag.getDecoder()));
    List<StreamSentiment> sentiment =
        values(client.readCommitted(SENTIMENT + "." + name, 0, READ, StreamSentiment.getDecoder()));
    List<SentenceAnalysis> sentences =
        values(
            client.readCommitted(SENTENCES + "." + name, 0, READ, SentenceAnalysis.getDecoder()));
    assertThat(result.outputsPerTopic().get(TAGS + "." + name)).isEqualTo(tags.size());
    assertThat(result.outputsPerTopic().get(SENTENCES + "." + name)).isEqualTo(sentences.size());
    BackfillRange range = new BackfillRange(from, to, warmup);
    if (file == null) {
      assertThat(result.recordsIn()).isEqualTo(countRead(range.readFrom(), to) + badIn(range));
      assertThat(result.olderStreamIds()).containsExactlyInAnyOrderElementsOf(older(range));
    }
    return new Replay(range, result, tags, sentiment, sentences);
  }

  /**
   * The backfill's outputs equal the live outputs of the events in [from, to) of the streams whose
   * first event lies at or after the warm-up start: same records, tags and labels, probabilities
   * within 1e-5, nothing missing, nothing twice. Older streams' outputs are not compared.
   */
  private static void assertEqualsLive(Replay r) {
    Set<String> comparable = comparableStreams(r.range);
    assertThat(comparable).isNotEmpty();
    Map<String, TokenTag> want = new LinkedHashMap<>();
    for (TokenTag t : liveTags) {
      if (comparable.contains(t.getStreamId()) && inRange(r.range, t.getStreamId(), t.getSeq())) {
        assertThat(want.put(t.getStreamId() + "#" + t.getPosition(), t)).as("live dup").isNull();
      }
    }
    Map<String, TokenTag> got = new LinkedHashMap<>();
    for (TokenTag t : r.tags) {
      assertThat(inRange(r.range, t.getStreamId(), t.getSeq()))
          .as("backfill output outside the range: %s", t)
          .isTrue();
      if (comparable.contains(t.getStreamId())) {
        assertThat(got.put(t.getStreamId() + "#" + t.getPosition(), t)).as("twice: %s", t).isNull();
      }
    }
    assertThat(want).isNotEmpty();
    assertThat(got.keySet()).containsExactlyInAnyOrderElementsOf(want.keySet());
    for (var e : want.entrySet()) {
      TokenTag w = e.getValue();
      TokenTag g = got.get(e.getKey());
      assertThat(g.getSeq()).as(e.getKey()).isEqualTo(w.getSeq());
      assertThat(g.getToken()).as(e.getKey()).isEqualTo(w.getToken());
      assertThat(g.getBegin()).isEqualTo(w.getBegin());
      assertThat(g.getEnd()).isEqualTo(w.getEnd());
      assertThat(g.getTag()).as(e.getKey()).isEqualTo(w.getTag());
      assertThat(g.getModelId()).isEqualTo(w.getModelId());
      assertThat(g.getProbability()).as(e.getKey()).isCloseTo(w.getProbability(), within(1e-5f));
    }

    Map<String, StreamSentiment> wantS = new HashMap<>();
    for (StreamSentiment s : liveSentiment) {
      if (comparable.contains(s.getStreamId()) && inRange(r.range, s.getStreamId(), s.getSeq())) {
        wantS.put(s.getStreamId() + "#" + s.getSeq(), s);
      }
    }
    Map<String, StreamSentiment> gotS = new HashMap<>();
    for (StreamSentiment s : r.sentiment) {
      if (comparable.contains(s.getStreamId())) {
        assertThat(gotS.put(s.getStreamId() + "#" + s.getSeq(), s)).as("twice: %s", s).isNull();
      }
    }
    assertThat(gotS.keySet()).containsExactlyInAnyOrderElementsOf(wantS.keySet());
    for (var e : wantS.entrySet()) {
      StreamSentiment w = e.getValue();
      StreamSentiment g = gotS.get(e.getKey());
      assertThat(g.getLabel()).as(e.getKey()).isEqualTo(w.getLabel());
      assertThat(g.getTokensSeen()).isEqualTo(w.getTokensSeen());
      assertThat(g.getEventTime()).isEqualTo(w.getEventTime());
      for (var p : w.getProbabilities().entrySet()) {
        assertThat(g.getProbabilities().get(p.getKey())).isCloseTo(p.getValue(), within(1e-5f));
      }
    }

    // Sentences belong to the time they closed (SentenceAnalysis.eventTime).
    Map<String, SentenceAnalysis> wantA = new HashMap<>();
    for (SentenceAnalysis a : liveSentences) {
      if (comparable.contains(a.getStreamId())
          && a.getEventTime() >= r.range.from()
          && a.getEventTime() < Math.min(r.range.to(), liveWatermark)) {
        wantA.put(a.getStreamId() + "#" + a.getSentenceIndex(), a);
      }
    }
    Map<String, SentenceAnalysis> gotA = new HashMap<>();
    for (SentenceAnalysis a : r.sentences) {
      assertThat(a.getEventTime())
          .as("outside the range: %s", a)
          .isBetween(r.range.from(), r.range.to() - 1);
      if (comparable.contains(a.getStreamId()) && a.getEventTime() < liveWatermark) {
        assertThat(gotA.put(a.getStreamId() + "#" + a.getSentenceIndex(), a))
            .as("twice: %s", a)
            .isNull();
      }
    }
    assertThat(wantA).isNotEmpty();
    assertThat(gotA.keySet()).containsExactlyInAnyOrderElementsOf(wantA.keySet());
    for (var e : wantA.entrySet()) {
      SentenceAnalysis w = e.getValue();
      SentenceAnalysis g = gotA.get(e.getKey());
      assertThat(g.getClosedBy()).as(e.getKey()).isEqualTo(w.getClosedBy());
      assertThat(g.getFirstSeq()).isEqualTo(w.getFirstSeq());
      assertThat(g.getLastSeq()).isEqualTo(w.getLastSeq());
      assertThat(g.getSentiment()).as(e.getKey()).isEqualTo(w.getSentiment());
      assertThat(g.getTokens()).hasSameSizeAs(w.getTokens());
      for (int i = 0; i < w.getTokens().size(); i++) {
        SentenceToken wt = w.getTokens().get(i);
        SentenceToken gt = g.getTokens().get(i);
        assertThat(gt.getToken()).isEqualTo(wt.getToken());
        assertThat(gt.getPosition()).isEqualTo(wt.getPosition());
        assertThat(gt.getTag()).as(e.getKey() + " token " + i).isEqualTo(wt.getTag());
        assertThat(gt.getRealtimeTag()).isEqualTo(wt.getRealtimeTag());
        assertThat(gt.getProbability()).isCloseTo(wt.getProbability(), within(1e-5f));
      }
    }
  }

  private static boolean inRange(BackfillRange range, String streamId, long seq) {
    long t = eventTimes.get(streamId + "#" + seq);
    return t >= range.from() && t < range.to();
  }

  /** Streams whose seq 0 is at or after the warm-up start: the backfill sees them whole. */
  private static Set<String> comparableStreams(BackfillRange range) {
    Set<String> ids = new HashSet<>();
    for (TextEvent e : produced) {
      if (e.getSeq() == 0 && e.getEventTime() >= range.readFrom()) {
        ids.add(e.getStreamId());
      }
    }
    return ids;
  }

  /** Streams whose first record read (in offset order) is not their seq 0. */
  private static Set<String> older(BackfillRange range) {
    Map<String, Long> first = new LinkedHashMap<>();
    for (TextEvent e : produced) {
      if (e.getEventTime() >= range.readFrom() && e.getEventTime() < range.to()) {
        first.putIfAbsent(e.getStreamId(), e.getSeq());
      }
    }
    Set<String> ids = new TreeSet<>();
    first.forEach(
        (id, seq) -> {
          if (seq > 0) {
            ids.add(id);
          }
        });
    return ids;
  }

  private static long countRead(long from, long to) {
    return produced.stream().filter(e -> e.getEventTime() >= from && e.getEventTime() < to).count();
  }

  private static long badIn(BackfillRange range) {
    return BAD_RECORD_TIME >= range.readFrom() && BAD_RECORD_TIME < range.to() ? 1 : 0;
  }

  private static List<String> sorted(List<TokenTag> tags) {
    return tags.stream().map(AvroJson::toJson).sorted().toList();
  }

  private static List<String> sortedSentiment(List<StreamSentiment> s) {
    return s.stream().map(AvroJson::toJson).sorted().toList();
  }

  private static TextEvent event(String id, long seq, long time, String text, boolean eos) {
    return TextEvent.newBuilder()
        .setStreamId(id)
        .setSeq(seq)
        .setEventTime(time)
        .setText(text)
        .setEndOfStream(eos)
        .build();
  }

  private static TextEvent find(List<TextEvent> events, String id, long seq) {
    return events.stream()
        .filter(e -> e.getStreamId().equals(id) && e.getSeq() == seq)
        .findFirst()
        .orElseThrow();
  }

  private static <T> List<T> values(List<KafkaTestClient.Received<T>> received) {
    return received.stream().map(KafkaTestClient.Received::value).toList();
  }
}
