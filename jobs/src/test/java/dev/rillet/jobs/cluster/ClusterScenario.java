package dev.rillet.jobs.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rillet.avro.RejectedRecord;
import dev.rillet.avro.SentenceAnalysis;
import dev.rillet.avro.StreamSentiment;
import dev.rillet.avro.TextEvent;
import dev.rillet.avro.TokenTag;
import dev.rillet.jobs.pipeline.LiveEnvironment;
import dev.rillet.jobs.pipeline.LiveJob;
import dev.rillet.jobs.pipeline.PipelineOptions;
import dev.rillet.jobs.pipeline.SentenceOptions;
import dev.rillet.kafka.RilletKafka;
import dev.rillet.kafka.testutils.EmbeddedKafkaExtension;
import dev.rillet.kafka.testutils.KafkaTestClient;
import dev.rillet.testutils.OutputComparison;
import dev.rillet.testutils.TestModels;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.apache.avro.message.BinaryMessageDecoder;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.connector.kafka.source.enumerator.initializer.OffsetsInitializer;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;

/**
 * What the cluster integration tests share: an input of 30 streams in three phases, the live job's
 * options for a topic prefix, the reference run of that input on a MiniCluster, reading and
 * comparing the four output topics, and the cluster operations a scenario performs (submit, find
 * the busy TaskManager, await recovery).
 */
final class ClusterScenario {
  static final Path MODEL = TestModels.get("test-gru");
  // The shipped biLM and heads: decisive, so an argmax never rests on a near-tie that float
  // rounding could flip (the random test heads give every class about the same probability).
  static final Path ELMO = TestModels.root().resolve("elmo-bilm");
  static final Path HEADS = TestModels.get("elmo-heads");
  static final Duration TIMEOUT = Duration.ofMinutes(3);
  static final int STREAMS = 30;
  static final int EVENTS_PER_PHASE = 4;
  static final long FIRST_EVENT_TIME = 1_700_000_000_000L;

  private ClusterScenario() {}

  /**
   * 30 streams of 12 events in three phases of 4; sentences span events and phases; each stream
   * ends with endOfStream. Events are 100 ms apart, far below the idle gap, so only the text closes
   * sentences and the outputs do not depend on when watermarks arrive.
   */
  static List<List<TextEvent>> input() throws Exception {
    List<String> words = Files.readAllLines(MODEL.resolve("vocab.txt")).subList(2, 300);
    Random random = new Random(16);
    List<List<TextEvent>> phases = List.of(new ArrayList<>(), new ArrayList<>(), new ArrayList<>());
    int events = 3 * EVENTS_PER_PHASE;
    for (int seq = 0; seq < events; seq++) {
      for (int s = 0; s < STREAMS; s++) {
        StringBuilder text = new StringBuilder();
        for (int w = 0, n = 2 + random.nextInt(6); w < n; w++) {
          text.append(w == 0 ? "" : " ").append(words.get(random.nextInt(words.size())));
        }
        text.append(random.nextInt(3) == 0 ? " ." : "");
        phases
            .get(seq / EVENTS_PER_PHASE)
            .add(
                TextEvent.newBuilder()
                    .setStreamId("stream-" + s)
                    .setSeq(seq)
                    .setEventTime(FIRST_EVENT_TIME + seq * 100L + s)
                    .setText(text.toString())
                    .setEndOfStream(seq == events - 1)
                    .build());
      }
    }
    return phases;
  }

  /** The live job's options for the topics {@code <prefix>.text} etc., which it creates. */
  static Configuration conf(EmbeddedKafkaExtension kafka, String prefix) {
    kafka.createTopics(
        4,
        prefix + ".text",
        prefix + ".tags",
        prefix + ".sentiment",
        prefix + ".sentences",
        prefix + ".dead");
    Configuration conf = kafka.jobOptions(prefix);
    conf.set(PipelineOptions.MODEL, MODEL.toString());
    conf.set(PipelineOptions.PARALLELISM, 2);
    conf.set(PipelineOptions.MAX_BUNDLE_TOKENS, 32);
    conf.set(PipelineOptions.CHECKPOINT_INTERVAL, Duration.ofSeconds(1));
    conf.set(SentenceOptions.ELMO, ELMO.toString());
    conf.set(SentenceOptions.ELMO_HEADS, HEADS.toString());
    return conf;
  }

  /** Writes the bad record every run starts with: offset 0 of partition 1 of the input topic. */
  static void sendBadRecord(KafkaTestClient client, String topic) {
    client.sendRaw(topic, 1, bytes("bad"), bytes("not avro"));
  }

  static void send(KafkaTestClient client, String topic, List<TextEvent> events) {
    events.forEach(e -> client.send(topic, e.getStreamId(), e));
  }

  /** The same input, uninterrupted, on a MiniCluster in this JVM, under {@code prefix}. */
  static Outputs reference(EmbeddedKafkaExtension kafka, String prefix, List<List<TextEvent>> input)
      throws Exception {
    Configuration ref = conf(kafka, prefix);
    KafkaTestClient client = kafka.client();
    sendBadRecord(client, prefix + ".text");
    input.forEach(phase -> send(client, prefix + ".text", phase));
    StreamExecutionEnvironment env = LiveEnvironment.create(ref);
    LiveJob.build(
        env, ref, MODEL, RilletKafka.source(ref).bounded(OffsetsInitializer.latest()).build());
    env.execute("reference");
    Outputs want = Outputs.settled(client, prefix);
    assertThat(want.tags()).hasSizeGreaterThan(500);
    assertThat(want.sentences()).hasSizeGreaterThan(30);
    return want;
  }

  /** Submits the live job as {@code ./rillet live --jobmanager} does. */
  static ClusterSubmission.Submitted submit(Configuration live) throws Exception {
    ByteArrayOutputStream console = new ByteArrayOutputStream();
    return ClusterSubmission.submitLive(
        live, LiveJob.options(), new PrintStream(console, true, StandardCharsets.UTF_8));
  }

  /** A TaskManager that runs at least one of the job's tasks. */
  static LocalCluster.Member busyTaskManager(FlinkRestClient rest, LocalCluster cluster)
      throws Exception {
    String id =
        rest.taskManagers().stream()
            .filter(t -> t.freeSlots() < t.slots())
            .findFirst()
            .orElseThrow()
            .id();
    return cluster.members().stream()
        .filter(m -> m.log().getFileName().toString().equals(id + ".log"))
        .findFirst()
        .orElseThrow();
  }

  /** Until the job has restored checkpoints {@code restores} times and all its tasks run again. */
  static void awaitRecovered(FlinkRestClient rest, String jobId, long restores)
      throws InterruptedException {
    long deadline = System.nanoTime() + TIMEOUT.toNanos();
    while (!(rest.checkpoints(jobId).restored() >= restores && rest.job(jobId).fullyRunning())) {
      assertThat(System.nanoTime()).as("recovered within " + TIMEOUT).isLessThan(deadline);
      Thread.sleep(100); // polling the cluster's REST API
    }
  }

  /**
   * Compares tags, sentiment and sentences with the reference, prints one line per topic under
   * {@code label}, and asserts that nothing was lost, duplicated or different, and that the dead
   * letter is the reference's.
   */
  static void assertEqual(String label, Outputs want, Outputs got) {
    List<OutputComparison.Result> results =
        List.of(
            OutputComparison.compare("tags", want.tags(), got.tags(), t -> stream(t.getStreamId())),
            OutputComparison.compare(
                "sentiment", want.sentiment(), got.sentiment(), s -> stream(s.getStreamId())),
            OutputComparison.compare(
                "sentences", want.sentences(), got.sentences(), s -> stream(s.getStreamId())));
    results.forEach(r -> System.out.println(label + ": " + r));
    assertThat(results).allSatisfy(r -> assertThat(r.equal()).as(r.toString()).isTrue());
    assertThat(got.dead()).hasSize(1);
    assertThat(got.dead().get(0).getReason().toString())
        .isEqualTo(want.dead().get(0).getReason().toString());
  }

  private static String stream(CharSequence id) {
    return id.toString();
  }

  static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  static int freePort() throws Exception {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  /**
   * Prints the lines of the cluster's logs in which a Kafka sink reports a commit it could not
   * make, so a CI log shows the sink's side of any difference the comparison finds.
   */
  static void printCommitProblems(String label, LocalCluster cluster) throws IOException {
    Pattern problem =
        Pattern.compile(
            "Unable to commit|potentially lost|ProducerFencedException:|InvalidTxnState");
    for (LocalCluster.Member m : cluster.members()) {
      if (Files.exists(m.log())) {
        try (Stream<String> lines = Files.lines(m.log())) {
          lines
              .filter(l -> problem.matcher(l).find())
              .limit(20)
              .forEach(l -> System.out.println(label + ": " + m.log().getFileName() + ": " + l));
        }
      }
    }
  }

  /** The cluster's measurements, as the tests print them for the docs. */
  static void report(String label, String what, long millis) {
    System.out.printf("%s: %s: %d ms%n", label, what, millis);
  }

  /** The four output topics of one run. */
  record Outputs(
      List<TokenTag> tags,
      List<StreamSentiment> sentiment,
      List<SentenceAnalysis> sentences,
      List<RejectedRecord> dead) {
    /** Every committed record of a finished job, once its transactions are settled. */
    static Outputs settled(KafkaTestClient client, String prefix) {
      return new Outputs(
          settled(client, prefix + ".tags", TokenTag.getDecoder()),
          settled(client, prefix + ".sentiment", StreamSentiment.getDecoder()),
          settled(client, prefix + ".sentences", SentenceAnalysis.getDecoder()),
          settled(client, prefix + ".dead", RejectedRecord.getDecoder()));
    }

    /** Committed records of a running job: as many as the reference has, and caught up. */
    static Outputs read(KafkaTestClient client, String prefix, String suffix, Outputs reference) {
      return new Outputs(
          values(client, prefix + ".tags" + suffix, reference.tags.size(), TokenTag.getDecoder()),
          values(
              client,
              prefix + ".sentiment" + suffix,
              reference.sentiment.size(),
              StreamSentiment.getDecoder()),
          values(
              client,
              prefix + ".sentences" + suffix,
              reference.sentences.size(),
              SentenceAnalysis.getDecoder()),
          values(
              client,
              prefix + ".dead" + suffix,
              reference.dead.size(),
              RejectedRecord.getDecoder()));
    }

    /** Tags of the events in phases 0..phase. */
    int tagsUpTo(int phase) {
      return (int) tags.stream().filter(t -> t.getSeq() < (phase + 1L) * EVENTS_PER_PHASE).count();
    }

    /** Waits until the run at {@code prefix} has committed the tags of phases 0..phase. */
    void awaitTags(KafkaTestClient client, String prefix, int phase) {
      int want = tagsUpTo(phase);
      // Failing here, not at the final comparison, says which phase's commits never came.
      assertThat(client.readCommitted(prefix + ".tags", want, TIMEOUT, TokenTag.getDecoder()))
          .as("committed tags of phases 0..%d of run %s within %s", phase, prefix, TIMEOUT)
          .hasSizeGreaterThanOrEqualTo(want);
    }

    private static <T> List<T> settled(
        KafkaTestClient client, String topic, BinaryMessageDecoder<T> decoder) {
      return client.readSettled(topic, TIMEOUT, decoder).stream()
          .map(KafkaTestClient.Received::value)
          .toList();
    }

    private static <T> List<T> values(
        KafkaTestClient client, String topic, int count, BinaryMessageDecoder<T> decoder) {
      return client.readCommitted(topic, count, TIMEOUT, decoder).stream()
          .map(KafkaTestClient.Received::value)
          .toList();
    }
  }
}
