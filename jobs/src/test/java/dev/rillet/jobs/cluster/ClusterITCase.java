package dev.rillet.jobs.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.rillet.avro.RejectedRecord;
import dev.rillet.avro.SentenceAnalysis;
import dev.rillet.avro.StreamSentiment;
import dev.rillet.avro.TextEvent;
import dev.rillet.avro.TokenTag;
import dev.rillet.jobs.backfill.BackfillCommand;
import dev.rillet.jobs.backfill.BackfillOptions;
import dev.rillet.jobs.live.LiveCommand;
import dev.rillet.jobs.live.LiveEnvironment;
import dev.rillet.jobs.live.LiveJob;
import dev.rillet.jobs.live.PipelineOptions;
import dev.rillet.jobs.live.SentenceOptions;
import dev.rillet.jobs.live.StateOptions;
import dev.rillet.kafka.KafkaOptions;
import dev.rillet.kafka.RilletKafka;
import dev.rillet.kafka.testutils.EmbeddedKafkaExtension;
import dev.rillet.kafka.testutils.KafkaTestClient;
import dev.rillet.testutils.TestModels;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.function.Predicate;
import org.apache.avro.message.BinaryMessageDecoder;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.connector.kafka.source.enumerator.initializer.OffsetsInitializer;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The live job on a real Flink cluster: a JobManager and two TaskManager processes started by
 * {@link LocalCluster} from the cluster lib and config.yaml, the job jar submitted over REST at
 * parallelism 2, reading and writing a real broker. The input (30 streams, three phases) is run
 * once on a MiniCluster as the reference; the cluster run takes phase A, has the TaskManager that
 * runs its tasks killed with SIGKILL while phase B is read, is stopped with a savepoint, gets phase
 * C while stopped, and is resubmitted from the savepoint. Every output topic, read under
 * read_committed, must then equal the reference: nothing lost, nothing twice, per-stream order,
 * positions, hidden state and open sentences carried across both interruptions. Then the same input
 * is replayed by a backfill submitted to the cluster, and its outputs must equal the reference as
 * well.
 */
class ClusterITCase {
  @RegisterExtension static final EmbeddedKafkaExtension KAFKA = new EmbeddedKafkaExtension();

  @TempDir static Path tmp;

  private static final Path MODEL = TestModels.get("test-gru");
  private static final Duration TIMEOUT = Duration.ofMinutes(3);
  private static final int STREAMS = 30;
  private static final int EVENTS_PER_PHASE = 4;
  private static final long FIRST_EVENT_TIME = 1_700_000_000_000L;

  private static LocalCluster cluster;
  private static FlinkRestClient rest;
  // The shipped biLM and heads: decisive, so an argmax never rests on a near-tie that float
  // rounding could flip (the random test heads give every class about the same probability).
  private static final Path ELMO = TestModels.root().resolve("elmo-bilm");
  private static final Path HEADS = TestModels.get("elmo-heads");

  @BeforeAll
  static void startCluster() throws Exception {
    Path installation = ClusterCommand.installation();
    cluster =
        new LocalCluster(
            tmp.resolve("cluster"),
            installation.resolve("cluster/target/lib"),
            installation.resolve("cluster/conf/config.yaml"));
    long start = System.nanoTime();
    cluster.start(2, 2, new LocalCluster.Ports(freePort(), freePort()), TIMEOUT);
    reportSince("cluster start to ready (JobManager + 2 TaskManagers)", start);
    rest = new FlinkRestClient(cluster.restAddress().orElseThrow());
  }

  @AfterAll
  static void stopCluster() throws Exception {
    if (cluster != null) {
      assertThat(cluster.stop()).hasSize(3); // one TaskManager was killed, its replacement too
    }
  }

  @Test
  void outputsEqualAFailureFreeRunAcrossATaskManagerKillAndASavepointRestart() throws Exception {
    List<List<TextEvent>> phases = input();
    KafkaTestClient client = KAFKA.client();

    // The reference: the same input, uninterrupted, on a MiniCluster in this JVM.
    Configuration ref = conf("ref");
    // A bad record first (offset 0 of partition 1 in both runs), then the events.
    client.sendRaw("ref.text", 1, bytes("bad"), bytes("not avro"));
    phases.forEach(p -> p.forEach(e -> client.send("ref.text", e.getStreamId(), e)));
    StreamExecutionEnvironment env = LiveEnvironment.create(ref);
    LiveJob.build(
        env, ref, MODEL, RilletKafka.source(ref).bounded(OffsetsInitializer.latest()).build());
    env.execute("reference");
    Outputs want = Outputs.settled(client, "ref");
    assertThat(want.tags).hasSizeGreaterThan(500);
    assertThat(want.sentences).hasSizeGreaterThan(30);

    // Submissions the cluster cannot take fail with the problem and the fix.
    Configuration live = conf("c");
    live.set(ClusterOptions.JOBMANAGER, rest.address());
    Configuration tooWide = new Configuration(live);
    tooWide.set(PipelineOptions.PARALLELISM, 9);
    assertThatThrownBy(() -> submit(tooWide))
        .hasMessageContaining("--parallelism 9 needs 9 free task slots")
        .hasMessageContaining("has 4 free of 4 (2 TaskManagers)");
    Configuration noSavepoint = new Configuration(live);
    noSavepoint.set(StateOptions.FROM_SAVEPOINT, tmp.resolve("no-savepoint").toString());
    assertThatThrownBy(() -> submit(noSavepoint))
        .hasMessageContaining("--from-savepoint must name a savepoint or retained checkpoint");
    assertThat(rest.activeJobs()).isEmpty();

    // The cluster run, phase A.
    client.sendRaw("c.text", 1, bytes("bad"), bytes("not avro"));
    phases.get(0).forEach(e -> client.send("c.text", e.getStreamId(), e));
    ClusterSubmission.Submitted job = submit(live);
    report("submission to all tasks RUNNING", job.submitToRunningMillis());
    client.readCommitted("c.tags", want.tagsUpTo(0), TIMEOUT, TokenTag.getDecoder());

    // Phase B, and the TaskManager running the job's tasks killed while it reads it.
    phases.get(1).forEach(e -> client.send("c.text", e.getStreamId(), e));
    LocalCluster.Member busy = busyTaskManager();
    long killed = System.nanoTime();
    LocalCluster.kill(busy);
    awaitRecovered(job.jobId());
    reportSince("recovery after kill -9 of a TaskManager, to all tasks RUNNING", killed);
    client.readCommitted("c.tags", want.tagsUpTo(1), TIMEOUT, TokenTag.getDecoder());
    // A replacement, so the cluster has slots to spare again.
    cluster.start(1, 2, LocalCluster.Ports.DEFAULT, TIMEOUT);

    // Stop with a savepoint; phase C arrives while the job is down; resume from the savepoint.
    String savepoint = rest.stopWithSavepoint(job.jobId(), null, TIMEOUT);
    assertThat(Path.of(URI.create(savepoint)).resolve("_metadata")).exists();
    phases.get(2).forEach(e -> client.send("c.text", e.getStreamId(), e));
    live.set(StateOptions.FROM_SAVEPOINT, savepoint);
    ClusterSubmission.Submitted resumed = submit(live);
    report("resubmission from the savepoint to all tasks RUNNING", resumed.submitToRunningMillis());

    Outputs got = Outputs.read(client, "c", "", want);
    assertMetricsServed();
    List<OutputComparison.Result> results =
        List.of(
            OutputComparison.compare("tags", want.tags, got.tags, t -> t.getStreamId().toString()),
            OutputComparison.compare(
                "sentiment", want.sentiment, got.sentiment, s -> s.getStreamId().toString()),
            OutputComparison.compare(
                "sentences", want.sentences, got.sentences, s -> s.getStreamId().toString()));
    results.forEach(r -> System.out.println("ClusterITCase: " + r));
    assertThat(results).allSatisfy(r -> assertThat(r.equal()).as(r.toString()).isTrue());
    assertThat(got.dead).hasSize(1);
    assertThat(got.dead.get(0).getReason().toString())
        .isEqualTo(want.dead.get(0).getReason().toString());
    assertThat(got.dead.get(0).getSourceOffset()).isEqualTo(want.dead.get(0).getSourceOffset());

    // The same input replayed by `./rillet backfill --jobmanager` (batch, on the cluster's two
    // free slots): its outputs, in the backfill topics, equal the reference too.
    Configuration backfill = new Configuration(live);
    backfill.removeConfig(StateOptions.FROM_SAVEPOINT);
    // The range is in event time, which the inputs' Kafka timestamps (their send time) all pass.
    backfill.set(BackfillOptions.FROM, Long.toString(FIRST_EVENT_TIME));
    backfill.set(BackfillOptions.TO, Long.toString(System.currentTimeMillis()));
    backfill.set(BackfillOptions.WARMUP, Duration.ZERO);
    backfill.set(BackfillOptions.RUN_ID, "it" + System.nanoTime());
    assertThat(new BackfillCommand().run(backfill)).isZero();
    Outputs replayed = Outputs.read(client, "c", ".backfill", want);
    List<OutputComparison.Result> backfilled =
        List.of(
            OutputComparison.compare(
                "tags.backfill", want.tags, replayed.tags, t -> t.getStreamId().toString()),
            OutputComparison.compare(
                "sentiment.backfill",
                want.sentiment,
                replayed.sentiment,
                s -> s.getStreamId().toString()),
            OutputComparison.compare(
                "sentences.backfill",
                want.sentences,
                replayed.sentences,
                s -> s.getStreamId().toString()));
    backfilled.forEach(r -> System.out.println("ClusterITCase: " + r));
    assertThat(backfilled).allSatisfy(r -> assertThat(r.equal()).as(r.toString()).isTrue());
    assertThat(replayed.dead).hasSize(1);
    rest.cancel(resumed.jobId());
  }

  private static ClusterSubmission.Submitted submit(Configuration live) throws Exception {
    ByteArrayOutputStream console = new ByteArrayOutputStream();
    return ClusterSubmission.submitLive(
        live, LiveCommand.jobOptions(), new PrintStream(console, true, StandardCharsets.UTF_8));
  }

  /** A TaskManager that runs at least one of the job's tasks. */
  private static LocalCluster.Member busyTaskManager() throws Exception {
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

  /** Until the job has restored a checkpoint and all its tasks run again. */
  private static void awaitRecovered(String jobId) throws InterruptedException {
    long deadline = System.nanoTime() + TIMEOUT.toNanos();
    while (!(rest.checkpoints(jobId).restored() > 0 && rest.job(jobId).fullyRunning())) {
      assertThat(System.nanoTime()).as("recovered within " + TIMEOUT).isLessThan(deadline);
      Thread.sleep(100); // polling the cluster's REST API
    }
  }

  /** The TaskManagers' Prometheus endpoints serve the operators' metrics, with values. */
  private static void assertMetricsServed() throws Exception {
    StringBuilder all = new StringBuilder();
    HttpClient http = HttpClient.newHttpClient();
    for (LocalCluster.Member m : cluster.members()) {
      if (m.role().equals("taskmanager") && m.alive(cluster.home())) {
        int port = LocalCluster.metricsPort(m).orElseThrow();
        all.append(
            http.send(
                    HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/metrics"))
                        .build(),
                    HttpResponse.BodyHandlers.ofString())
                .body());
      }
    }
    for (String metric : List.of("tokensProcessed", "sentences", "sentencesAnalyzed")) {
      Predicate<String> positive =
          l ->
              l.contains("_" + metric + "{")
                  && Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1)) > 0;
      assertThat(all.toString().lines().filter(positive)).as(metric).isNotEmpty();
    }
  }

  /** 30 streams of 12 events in three phases of 4; each stream ends with endOfStream. */
  private static List<List<TextEvent>> input() throws Exception {
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
        // Sentences span events, and phases: only some events end one.
        text.append(random.nextInt(3) == 0 ? " ." : "");
        phases
            .get(seq / EVENTS_PER_PHASE)
            .add(
                TextEvent.newBuilder()
                    .setStreamId("stream-" + s)
                    .setSeq(seq)
                    // 100 ms apart: far below the idle gap, so only the text closes sentences.
                    .setEventTime(FIRST_EVENT_TIME + seq * 100L + s)
                    .setText(text.toString())
                    .setEndOfStream(seq == events - 1)
                    .build());
      }
    }
    return phases;
  }

  private static Configuration conf(String prefix) {
    KAFKA.createTopics(
        4,
        prefix + ".text",
        prefix + ".tags",
        prefix + ".sentiment",
        prefix + ".sentences",
        prefix + ".dead");
    Configuration conf = new Configuration();
    conf.set(KafkaOptions.BOOTSTRAP_SERVERS, KAFKA.bootstrapServers());
    conf.set(KafkaOptions.INPUT_TOPIC, prefix + ".text");
    conf.set(KafkaOptions.TAGS_TOPIC, prefix + ".tags");
    conf.set(KafkaOptions.SENTIMENT_TOPIC, prefix + ".sentiment");
    conf.set(KafkaOptions.SENTENCES_TOPIC, prefix + ".sentences");
    conf.set(KafkaOptions.DEAD_LETTER_TOPIC, prefix + ".dead");
    conf.set(KafkaOptions.GROUP_ID, prefix + "-group");
    conf.set(KafkaOptions.TRANSACTIONAL_ID_PREFIX, prefix + "-" + System.nanoTime());
    conf.set(PipelineOptions.MODEL, MODEL.toString());
    conf.set(PipelineOptions.PARALLELISM, 2);
    conf.set(PipelineOptions.MAX_BUNDLE_TOKENS, 32);
    conf.set(PipelineOptions.CHECKPOINT_INTERVAL, Duration.ofSeconds(1));
    conf.set(SentenceOptions.ELMO, ELMO.toString());
    conf.set(SentenceOptions.ELMO_HEADS, HEADS.toString());
    return conf;
  }

  /** The four output topics of one run. */
  private record Outputs(
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

    private static <T> List<T> settled(
        KafkaTestClient client, String topic, BinaryMessageDecoder<T> decoder) {
      return client.readSettled(topic, TIMEOUT, decoder).stream()
          .map(KafkaTestClient.Received::value)
          .toList();
    }

    /** Tags of the events in phases 0..phase. */
    int tagsUpTo(int phase) {
      return (int) tags.stream().filter(t -> t.getSeq() < (phase + 1L) * EVENTS_PER_PHASE).count();
    }

    private static <T> List<T> values(
        KafkaTestClient client, String topic, int count, BinaryMessageDecoder<T> decoder) {
      return client.readCommitted(topic, count, TIMEOUT, decoder).stream()
          .map(KafkaTestClient.Received::value)
          .toList();
    }
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  private static int freePort() throws Exception {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  private static void reportSince(String what, long startNanos) {
    report(what, (System.nanoTime() - startNanos) / 1_000_000);
  }

  private static void report(String what, long millis) {
    System.out.printf("ClusterITCase: %s: %d ms%n", what, millis);
  }
}
