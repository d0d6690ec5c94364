package dev.rillet.jobs.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rillet.avro.SentenceAnalysis;
import dev.rillet.avro.StreamSentiment;
import dev.rillet.avro.TextEvent;
import dev.rillet.avro.TokenTag;
import dev.rillet.jobs.tools.TextEventProducer;
import dev.rillet.kafka.KafkaOptions;
import dev.rillet.kafka.RilletKafka;
import dev.rillet.kafka.testutils.EmbeddedKafkaExtension;
import dev.rillet.kafka.testutils.KafkaTestClient;
import dev.rillet.testutils.OutputComparison;
import dev.rillet.testutils.TestElmo;
import dev.rillet.testutils.TestModels;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.locks.LockSupport;
import org.apache.avro.message.BinaryMessageDecoder;
import org.apache.flink.api.common.JobStatus;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.connector.kafka.source.KafkaSource;
import org.apache.flink.connector.kafka.source.enumerator.initializer.OffsetsInitializer;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The live job reading a backlog gives the same outputs as the backfill of the same range and as
 * the same input fed at a steady rate while it runs. The backlog spans hours of event time on 4
 * partitions, many consumer polls per partition (max.poll.records is lowered), and its streams have
 * gaps just below, at and just above the idle gap and the stream TTL, so a watermark that ran ahead
 * of any unread partition would close sentences early and expire active streams. Every tag,
 * sentiment and sentence (sentence stage on a small random biLM) is compared.
 */
class BacklogCatchUpTest {
  @RegisterExtension static final EmbeddedKafkaExtension KAFKA = new EmbeddedKafkaExtension();

  private static final Path MODEL = TestModels.get("test-gru");
  private static final long T0 = Instant.parse("2024-05-01T08:00:00Z").toEpochMilli();
  private static final Duration IDLE_GAP = Duration.ofSeconds(10);
  private static final Duration TTL = Duration.ofMinutes(2);
  private static final int PARTITIONS = 4;
  private static final int MAX_POLL_RECORDS = 20;
  private static final Duration READ = Duration.ofSeconds(60);

  @TempDir static Path tmp;

  @Test
  void backlogGivesTheOutputsOfTheBackfillAndOfASteadyFeed() throws Exception {
    Path elmo = TestElmo.write(tmp.resolve("elmo"), 5);
    Path heads = TestElmo.headsFor(elmo, TestModels.get("test-elmo-heads"), tmp.resolve("heads"));
    List<TextEvent> events = events();
    long last = events.get(events.size() - 1).getEventTime();
    assertThat(last - T0).as("event time spanned").isGreaterThan(Duration.ofHours(2).toMillis());

    // 1. The whole input is on the topic before the live job starts: a backlog.
    Configuration backlog = conf("cu", elmo, heads);
    createTopics(backlog);
    produce(backlog, events, 0);
    Map<TopicPartition, Long> ends = endOffsets(backlog.get(KafkaOptions.INPUT_TOPIC));
    for (long end : ends.values()) {
      assertThat(end).as("records per partition").isGreaterThan(3L * MAX_POLL_RECORDS);
    }
    runLive(backlog, OffsetsInitializer.latest(), null);
    Outputs live = read(backlog, "");

    // 2. The backfill of the same range (BATCH mode: no watermarks before the end of input).
    Configuration bf = new Configuration(backlog);
    bf.set(BackfillOptions.FROM, Long.toString(T0));
    bf.set(BackfillOptions.TO, Long.toString(last + Duration.ofHours(1).toMillis()));
    bf.set(BackfillOptions.WARMUP, Duration.ZERO);
    bf.set(BackfillOptions.OUTPUT_SUFFIX, ".bf");
    bf.set(BackfillOptions.RUN_ID, "cu-" + System.nanoTime());
    KAFKA.createTopics(
        PARTITIONS,
        bf.get(KafkaOptions.TAGS_TOPIC) + ".bf",
        bf.get(KafkaOptions.SENTIMENT_TOPIC) + ".bf",
        bf.get(KafkaOptions.SENTENCES_TOPIC) + ".bf",
        bf.get(KafkaOptions.DEAD_LETTER_TOPIC) + ".bf");
    BackfillJob.run(bf, new PrintStream(new ByteArrayOutputStream(), true, "UTF-8"), false);
    Outputs backfill = read(backlog, ".bf");

    // 3. The same input fed at a steady rate to a running job, which stops at the same offsets.
    Configuration steady = conf("cu-steady", elmo, heads);
    createTopics(steady);
    Map<TopicPartition, Long> stopAt = new HashMap<>();
    ends.forEach(
        (tp, end) ->
            stopAt.put(
                new TopicPartition(steady.get(KafkaOptions.INPUT_TOPIC), tp.partition()), end));
    runLive(steady, OffsetsInitializer.offsets(stopAt), events);
    Outputs fed = read(steady, "");

    // The input reaches every boundary it was built for, in the reference (backfill) outputs.
    assertThat(backfill.sentences)
        .extracting(SentenceAnalysis::getClosedBy)
        .contains("IDLE_GAP", "TERMINATOR", "END_OF_STREAM");
    assertThat(backfill.tags)
        .as("a stream expired by the TTL restarts at position 0 in a later event")
        .anyMatch(t -> t.getPosition() == 0 && t.getSeq() > 0);

    List<OutputComparison.Result> report = new ArrayList<>();
    report.addAll(differences("backlog vs backfill", live, backfill));
    report.addAll(differences("steady feed vs backfill", fed, backfill));
    assertThat(report).allSatisfy(r -> assertThat(r.equal()).as(r.toString()).isTrue());
  }

  // ---------------------------------------------------------------------------------------------

  /**
   * 40 streams over about three hours. Each gap between a stream's events is drawn from: short
   * (0.5-3 s), the idle gap minus 100 ms / exactly / plus 100 ms, the TTL minus 1 s / exactly /
   * plus 1 s, or a pause of 5-25 minutes. Text is open fragments, sometimes terminated.
   */
  private static List<TextEvent> events() throws Exception {
    List<String> words = Files.readAllLines(MODEL.resolve("vocab.txt")).subList(2, 300);
    long idle = IDLE_GAP.toMillis();
    long ttl = TTL.toMillis();
    long[] special = {idle - 100, idle, idle + 100, ttl - 1_000, ttl, ttl + 1_000};
    Random random = new Random(17);
    List<TextEvent> events = new ArrayList<>();
    for (int s = 0; s < 40; s++) {
      long t = T0 + random.nextInt(600_000);
      int n = 30 + random.nextInt(20);
      for (int seq = 0; seq < n; seq++) {
        StringBuilder text = new StringBuilder();
        int w = 1 + random.nextInt(5);
        for (int i = 0; i < w; i++) {
          text.append(i == 0 ? "" : " ").append(words.get(random.nextInt(words.size())));
        }
        text.append(random.nextInt(5) == 0 ? "." : "");
        events.add(
            TextEvent.newBuilder()
                .setStreamId("s" + s)
                .setSeq(seq)
                .setEventTime(t)
                .setText(text.toString())
                .setEndOfStream(s % 7 == 0 && seq == n - 1)
                .build());
        int kind = random.nextInt(10);
        t +=
            kind < 5
                ? 500 + random.nextInt(2_500)
                : kind < 9
                    ? special[random.nextInt(special.length)]
                    : 300_000 + random.nextInt(1_200_000);
      }
    }
    events.sort(Comparator.comparingLong(TextEvent::getEventTime));
    return events;
  }

  private static Configuration conf(String prefix, Path elmo, Path heads) {
    Configuration conf = KAFKA.jobOptions(prefix);
    conf.set(SentenceOptions.ELMO, elmo.toString());
    conf.set(SentenceOptions.ELMO_HEADS, heads.toString());
    conf.set(PipelineOptions.MODEL, MODEL.toString());
    conf.set(PipelineOptions.PARALLELISM, 2);
    conf.set(PipelineOptions.MAX_BUNDLE_TOKENS, 32);
    conf.set(PipelineOptions.IDLE_GAP, IDLE_GAP);
    conf.set(PipelineOptions.STREAM_TTL, TTL);
    conf.set(PipelineOptions.CHECKPOINT_INTERVAL, Duration.ofMillis(500));
    return conf;
  }

  private static void createTopics(Configuration conf) throws Exception {
    KAFKA.createTopics(
        PARTITIONS,
        conf.get(KafkaOptions.INPUT_TOPIC),
        conf.get(KafkaOptions.TAGS_TOPIC),
        conf.get(KafkaOptions.SENTIMENT_TOPIC),
        conf.get(KafkaOptions.SENTENCES_TOPIC),
        conf.get(KafkaOptions.DEAD_LETTER_TOPIC));
  }

  /**
   * Writes {@code events} in order (key = streamId, record timestamp = eventTime); with {@code
   * perSecond > 0}, at that steady rate.
   */
  private static void produce(Configuration conf, List<TextEvent> events, int perSecond) {
    try (TextEventProducer producer =
        new TextEventProducer(KAFKA.bootstrapServers(), conf.get(KafkaOptions.INPUT_TOPIC))) {
      long start = System.nanoTime();
      for (int i = 0; i < events.size(); i++) {
        if (perSecond > 0) {
          // Pacing, not synchronisation: event i leaves at i / perSecond seconds.
          long due = start + i * 1_000_000_000L / perSecond;
          LockSupport.parkNanos(due - System.nanoTime());
        }
        producer.send(events.get(i));
      }
    }
  }

  /**
   * Runs the live pipeline ({@link LiveJob#build}) on its input topic up to {@code stop}; when
   * {@code feed} is given, feeds it at a steady rate once the job runs.
   */
  private static void runLive(Configuration conf, OffsetsInitializer stop, List<TextEvent> feed)
      throws Exception {
    KafkaSource<dev.rillet.kafka.KafkaInputRecord> source =
        RilletKafka.source(conf)
            // Many polls per partition: the reader hands over one partition's batch at a time.
            .property(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, Integer.toString(MAX_POLL_RECORDS))
            .property(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, "4096")
            .bounded(stop)
            .build();
    try (var loaded = SentenceStage.resolve(conf).check()) {
      StreamExecutionEnvironment env = LiveEnvironment.create(conf);
      // Watermarks every 10 ms instead of 200: this backlog is read in well under a second, so
      // that is what a backlog many times its size sees at the default interval.
      env.getConfig().setAutoWatermarkInterval(10);
      LiveJob.build(env, conf, MODEL, source);
      JobClient job = env.executeAsync("catch-up " + conf.get(KafkaOptions.INPUT_TOPIC));
      if (feed != null) {
        while (job.getJobStatus().get() != JobStatus.RUNNING) {
          Thread.onSpinWait();
        }
        produce(conf, feed, 500);
      }
      job.getJobExecutionResult().get();
    }
  }

  private static Map<TopicPartition, Long> endOffsets(String topic) throws Exception {
    try (Admin admin =
        Admin.create(
            Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, KAFKA.bootstrapServers()))) {
      Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
      for (int p = 0; p < PARTITIONS; p++) {
        latest.put(new TopicPartition(topic, p), OffsetSpec.latest());
      }
      Map<TopicPartition, Long> ends =
          new TreeMap<>(Comparator.comparing(TopicPartition::toString));
      admin.listOffsets(latest).all().get().forEach((tp, info) -> ends.put(tp, info.offset()));
      return ends;
    }
  }

  /** One run's committed outputs. */
  private record Outputs(
      List<TokenTag> tags, List<StreamSentiment> sentiment, List<SentenceAnalysis> sentences) {}

  private static Outputs read(Configuration conf, String suffix) {
    return new Outputs(
        values(conf.get(KafkaOptions.TAGS_TOPIC) + suffix, TokenTag.getDecoder()),
        values(conf.get(KafkaOptions.SENTIMENT_TOPIC) + suffix, StreamSentiment.getDecoder()),
        values(conf.get(KafkaOptions.SENTENCES_TOPIC) + suffix, SentenceAnalysis.getDecoder()));
  }

  private static <T> List<T> values(String topic, BinaryMessageDecoder<T> decoder) {
    return KAFKA.client().readCommitted(topic, 1, READ, decoder).stream()
        .map(KafkaTestClient.Received::value)
        .toList();
  }

  /** Per output type: records of {@code want} lost, duplicated or different in {@code got}. */
  private static List<OutputComparison.Result> differences(String what, Outputs got, Outputs want) {
    assertThat(want.tags).isNotEmpty();
    assertThat(want.sentences).isNotEmpty();
    return List.of(
        OutputComparison.compare(
            what + ", tags", want.tags, got.tags, t -> t.getStreamId().toString()),
        OutputComparison.compare(
            what + ", sentiment", want.sentiment, got.sentiment, t -> t.getStreamId().toString()),
        OutputComparison.compare(
            what + ", sentences", want.sentences, got.sentences, t -> t.getStreamId().toString()));
  }
}
