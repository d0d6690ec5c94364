package dev.rillet.jobs.pipeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import dev.rillet.avro.RejectedRecord;
import dev.rillet.avro.StreamSentiment;
import dev.rillet.avro.TextEvent;
import dev.rillet.avro.TokenTag;
import dev.rillet.kafka.KafkaOptions;
import dev.rillet.kafka.RilletKafka;
import dev.rillet.kafka.testutils.EmbeddedKafkaExtension;
import dev.rillet.kafka.testutils.KafkaTestClient;
import dev.rillet.onnx.RecurrentModelPackage;
import dev.rillet.testutils.SequenceReference;
import dev.rillet.testutils.TestModels;
import dev.rillet.tokenize.Token;
import dev.rillet.tokenize.WordTokenizer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.connector.kafka.source.enumerator.initializer.OffsetsInitializer;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The live job end to end on a real in-process Kafka broker and a Flink MiniCluster at parallelism
 * 2: several hundred events over dozens of interleaved streams on a 4-partition topic, with
 * duplicates and bad records mixed in. Every expected TokenTag must come out exactly once (read
 * with read_committed), in per-stream order, with the tag the model gives the stream's whole token
 * sequence; every bad record must be in the dead-letter topic with its source offset. The same
 * holds when the job fails once and restarts from a checkpoint.
 */
class LiveJobEndToEndTest {
  @RegisterExtension static final EmbeddedKafkaExtension KAFKA = new EmbeddedKafkaExtension();

  private static final Path MODEL = TestModels.get("test-gru");
  private static final Duration READ_TIMEOUT = Duration.ofSeconds(60);

  /** The failure run fails at this tag since the latest checkpoint. */
  private static final int FAIL_AFTER = 20;

  @Test
  void everyTokenTaggedExactlyOnceAndBadRecordsDeadLettered() throws Exception {
    runAndCheck("e2e", false);
  }

  /**
   * The same on the unbounded live source, with the job failing once in the middle of the input:
   * the first half is written, a checkpoint completes after tags passed, then the second half is
   * written and the job fails at the {@value #FAIL_AFTER}th tag since the latest checkpoint, just
   * before the tags sink. The tags before it are in the sink's open transaction; the default
   * restart strategy restores the checkpoint (recurrent state, bundles, source offsets), aborts
   * that transaction, and reads the records again. Every output must still come out exactly once,
   * with the tags of an uninterrupted run.
   */
  @Test
  void exactlyOnceAcrossAFailureAndRestart() throws Exception {
    FailOnceAfterCheckpoint.reset();
    runAndCheck("e2e-fail", true);
    assertThat(FailOnceAfterCheckpoint.FAILURES.get()).isEqualTo(1);
    // Parallelism 2: two instances, and more after the restart.
    assertThat(FailOnceAfterCheckpoint.OPENED.get()).isGreaterThan(2);
  }

  private static void runAndCheck(String prefix, boolean injectFailure) throws Exception {
    Configuration conf = KAFKA.jobOptions(prefix);
    conf.set(PipelineOptions.MAX_BUNDLE_TOKENS, 32);
    // The sentence stage has its own end-to-end test (SentenceStageEndToEndTest).
    conf.set(SentenceOptions.ELMO, SentenceOptions.NONE);
    KAFKA.createTopics(
        4, prefix + ".text", prefix + ".tags", prefix + ".sentiment", prefix + ".dead");

    // 36 streams x 8-12 events; words from the model's vocabulary, punctuation, unknown words.
    List<String> words = Files.readAllLines(MODEL.resolve("vocab.txt")).subList(2, 400);
    Random random = new Random(42);
    Map<String, List<TextEvent>> accepted = new LinkedHashMap<>();
    List<TextEvent> all = new ArrayList<>();
    for (int s = 0; s < 36; s++) {
      String id = "stream-" + s;
      int events = 8 + random.nextInt(5);
      List<TextEvent> stream = new ArrayList<>();
      for (int seq = 0; seq < events; seq++) {
        StringBuilder text = new StringBuilder();
        int n = 1 + random.nextInt(8);
        for (int w = 0; w < n; w++) {
          text.append(w == 0 ? "" : " ")
              .append(
                  random.nextInt(12) == 0
                      ? "zork" + random.nextInt(99)
                      : words.get(random.nextInt(words.size())));
        }
        text.append(random.nextBoolean() ? "." : ",");
        stream.add(
            TextEvent.newBuilder()
                .setStreamId(id)
                .setSeq(seq)
                .setEventTime(1_000_000L + seq * 100L + s)
                .setText(text.toString())
                .setEndOfStream(s % 3 == 0 && seq == events - 1)
                .build());
      }
      accepted.put(id, stream);
    }
    // Interleave streams round robin; every 7th stream also repeats an old event (a duplicate).
    int maxEvents = accepted.values().stream().mapToInt(List::size).max().orElseThrow();
    int duplicates = 0;
    for (int seq = 0; seq < maxEvents; seq++) {
      for (List<TextEvent> stream : accepted.values()) {
        if (seq < stream.size()) {
          all.add(stream.get(seq));
          if (seq == 5 && stream.get(0).getStreamId().hashCode() % 7 == 0) {
            all.add(stream.get(2));
            duplicates++;
          }
        }
      }
    }
    assertThat(duplicates).isPositive();

    KafkaTestClient client = KAFKA.client();
    // The environment users get (checkpointing, no Kryo fallback), at parallelism 2.
    conf.set(PipelineOptions.PARALLELISM, 2);
    conf.set(PipelineOptions.CHECKPOINT_INTERVAL, Duration.ofMillis(500));
    StreamExecutionEnvironment env = LiveEnvironment.create(conf);
    JobClient running = null;
    if (injectFailure) {
      int half = all.size() / 2;
      for (TextEvent e : all.subList(0, half)) {
        client.send(prefix + ".text", e.getStreamId(), e);
      }
      String tagsTopic = conf.get(KafkaOptions.TAGS_TOPIC);
      LiveJob.build(
          conf,
          MODEL,
          LiveJob.read(env, conf, RilletKafka.source(conf).build()),
          new OutputGate() {
            @Override
            public <T> DataStream<T> apply(DataStream<T> stream, String topic) {
              // Just before the tags sink, so the tags before the failure are in its transaction.
              return topic.equals(tagsTopic)
                  ? stream
                      .map(new FailOnceAfterCheckpoint<T>(FAIL_AFTER), stream.getType())
                      .uid("fail-once")
                  : stream;
            }
          });
      running = env.executeAsync(prefix);
      FailOnceAfterCheckpoint.awaitCheckpointAfterRecords(READ_TIMEOUT);
      all = all.subList(half, all.size());
    }
    for (TextEvent e : all) {
      client.send(prefix + ".text", e.getStreamId(), e);
    }
    List<RecordMetadata> bad = new ArrayList<>();
    bad.add(
        client.sendRaw(
            prefix + ".text",
            1,
            "x".getBytes(StandardCharsets.UTF_8),
            "not avro".getBytes(StandardCharsets.UTF_8)));
    bad.add(
        client.send(
            prefix + ".text",
            "",
            TextEvent.newBuilder()
                .setStreamId("")
                .setSeq(0)
                .setEventTime(1)
                .setText("no id")
                .build()));
    bad.add(
        client.send(
            prefix + ".text",
            "empty",
            TextEvent.newBuilder()
                .setStreamId("empty")
                .setSeq(0)
                .setEventTime(1)
                .setText("")
                .build()));

    if (running == null) {
      LiveJob.build(
          env, conf, MODEL, RilletKafka.source(conf).bounded(OffsetsInitializer.latest()).build());
      env.execute(prefix);
      checkOutputs(prefix, client, accepted, bad);
    } else {
      try {
        checkOutputs(prefix, client, accepted, bad);
      } finally {
        running.cancel().get();
      }
    }
  }

  /** Every expected output exactly once, in per-stream order, with the model's tags. */
  private static void checkOutputs(
      String prefix,
      KafkaTestClient client,
      Map<String, List<TextEvent>> accepted,
      List<RecordMetadata> bad)
      throws Exception {

    // Expected tags: the same tokenizer over each stream's accepted events, positions running on.
    WordTokenizer tokenizer = new WordTokenizer();
    Map<String, List<TokenTag>> expected = new HashMap<>();
    int expectedTags = 0;
    int expectedSentiments = 0;
    for (var entry : accepted.entrySet()) {
      List<TokenTag> tags = new ArrayList<>();
      for (TextEvent e : entry.getValue()) {
        List<Token> tokens = tokenizer.tokenize(e.getText());
        for (Token t : tokens) {
          tags.add(
              TokenTag.newBuilder()
                  .setStreamId(entry.getKey())
                  .setSeq(e.getSeq())
                  .setPosition(tags.size())
                  .setToken(t.text())
                  .setBegin(t.begin())
                  .setEnd(t.end())
                  .setTag("?")
                  .setProbability(0)
                  .setModelId("?")
                  .build());
        }
        expectedSentiments += tokens.isEmpty() ? 0 : 1;
      }
      expected.put(entry.getKey(), tags);
      expectedTags += tags.size();
    }

    List<KafkaTestClient.Received<TokenTag>> tags =
        client.readCommitted(prefix + ".tags", expectedTags, READ_TIMEOUT, TokenTag.getDecoder());
    assertThat(tags).hasSize(expectedTags);
    Map<String, List<TokenTag>> actual = new HashMap<>();
    for (var r : tags) {
      assertThat(r.keyString()).isEqualTo(r.value().getStreamId());
      actual.computeIfAbsent(r.value().getStreamId(), k -> new ArrayList<>()).add(r.value());
    }
    try (OrtSession.SessionOptions options = new OrtSession.SessionOptions();
        RecurrentModelPackage model =
            RecurrentModelPackage.load(MODEL, OrtEnvironment.getEnvironment(), options)) {
      for (var entry : expected.entrySet()) {
        List<TokenTag> want = entry.getValue();
        List<TokenTag> got = actual.get(entry.getKey());
        assertThat(got).as(entry.getKey()).hasSameSizeAs(want);
        SequenceReference ref =
            SequenceReference.run(model, want.stream().map(TokenTag::getToken).toList());
        for (int i = 0; i < want.size(); i++) {
          TokenTag g = got.get(i); // per-stream order: i-th record read is position i
          TokenTag w = want.get(i);
          assertThat(g.getPosition()).isEqualTo(i);
          assertThat(g.getSeq()).isEqualTo(w.getSeq());
          assertThat(g.getToken()).isEqualTo(w.getToken());
          assertThat(g.getBegin()).isEqualTo(w.getBegin());
          assertThat(g.getEnd()).isEqualTo(w.getEnd());
          float[] p = SequenceReference.softmax(ref.tagLogits[i]);
          int best = SequenceReference.argmax(p);
          assertThat(g.getTag()).isEqualTo(model.tagLabels().get(best));
          assertThat(g.getProbability()).isCloseTo(p[best], within(1e-5f));
          assertThat(g.getModelId()).isEqualTo(model.modelId());
        }
      }
    }

    List<KafkaTestClient.Received<StreamSentiment>> sentiment =
        client.readCommitted(
            prefix + ".sentiment", expectedSentiments, READ_TIMEOUT, StreamSentiment.getDecoder());
    assertThat(sentiment).hasSize(expectedSentiments);

    List<KafkaTestClient.Received<RejectedRecord>> dead =
        client.readCommitted(
            prefix + ".dead", bad.size(), READ_TIMEOUT, RejectedRecord.getDecoder());
    assertThat(dead)
        .extracting(r -> r.value().getSourcePartition() + "@" + r.value().getSourceOffset())
        .containsExactlyInAnyOrderElementsOf(
            bad.stream().map(m -> m.partition() + "@" + m.offset()).toList());
    assertThat(dead).allSatisfy(r -> assertThat(r.value().getReason()).isNotBlank());
  }
}
