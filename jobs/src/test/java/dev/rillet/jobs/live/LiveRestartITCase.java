package dev.rillet.jobs.live;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import dev.rillet.avro.RejectedRecord;
import dev.rillet.avro.StreamSentiment;
import dev.rillet.avro.TextEvent;
import dev.rillet.avro.TokenTag;
import dev.rillet.jobs.pipeline.StateDirectory;
import dev.rillet.kafka.testutils.EmbeddedKafkaExtension;
import dev.rillet.kafka.testutils.KafkaTestClient;
import dev.rillet.onnx.RecurrentModelPackage;
import dev.rillet.testutils.SequenceReference;
import dev.rillet.testutils.TestModels;
import dev.rillet.tokenize.Token;
import dev.rillet.tokenize.WordTokenizer;
import java.io.IOException;
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
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code rillet live} run as a user runs it, a separate OS process from the packaged jar ({@code
 * java -jar jobs/target/rillet.jar live ...}, the JVM flags of the {@code ./rillet} launcher; the
 * jar's manifest opens the packages Flink needs), against a real in-process Kafka broker, three
 * times over one state directory:
 *
 * <ol>
 *   <li>fed the first third of the input; its Prometheus endpoint is scraped for the operators'
 *       metrics; once outputs are committed the next third is written and the process is killed
 *       with SIGKILL while those records are in flight;
 *   <li>started again with the same command: it must resume from the retained checkpoint; once
 *       everything fed so far is committed, part of the last third is written and the process gets
 *       SIGTERM, which must stop the job with a savepoint into the state directory;
 *   <li>started again: it must resume from that savepoint; the rest of the input is written.
 * </ol>
 *
 * Every output must then be in the output topics exactly once (read_committed), none lost and none
 * twice, with the tags, positions and running token counts of an uninterrupted run: the model over
 * each stream's whole token sequence, so the hidden states went through both restarts.
 */
class LiveRestartITCase {
  @RegisterExtension static final EmbeddedKafkaExtension KAFKA = new EmbeddedKafkaExtension();

  private static final Path MODEL = TestModels.get("test-gru").toAbsolutePath();
  private static final Duration DEADLINE = Duration.ofSeconds(60);
  // Each test's own topics, consumer group and transactional ids.
  private String prefix;
  private String TEXT;
  private String TAGS;
  private String SENTIMENT;
  private String DEAD;
  private static final int STREAMS = 24;
  private static final int EVENTS_PER_STREAM = 9;

  @TempDir Path tmp;
  private final List<Process> started = new ArrayList<>();

  @AfterEach
  void killLeftovers() throws InterruptedException {
    for (Process p : started) {
      if (p.isAlive()) {
        p.destroyForcibly();
        p.waitFor(30, TimeUnit.SECONDS);
      }
    }
  }

  private void topics(String name) {
    prefix = name;
    TEXT = name + ".text";
    TAGS = name + ".tags";
    SENTIMENT = name + ".sentiment";
    DEAD = name + ".dead";
    KAFKA.createTopics(4, TEXT, TAGS, SENTIMENT, DEAD);
  }

  /**
   * SIGTERM stops the job with a savepoint into the state directory; the same command started again
   * resumes from it. The first run also serves the operators' metrics, which are scraped.
   */
  @Test
  void sigtermSavesAndTheNextRunResumesFromTheSavepoint() throws Exception {
    topics("sigterm");
    KafkaTestClient client = KAFKA.client();
    Path stateDir = tmp.resolve("state");
    String transactionalIdPrefix = prefix + "-" + System.nanoTime();
    Map<String, List<TextEvent>> streams = input();
    Map<String, List<TokenTag>> expected = expectedTags(streams);

    int metricsPort = freePort();
    LiveProcess run1 =
        start("sigterm-run1", stateDir, transactionalIdPrefix, "--metrics-port", "" + metricsPort);
    run1.awaitOutput("starting fresh");
    send(client, slice(streams, 0, 4));
    client.sendRaw(TEXT, 0, "bad".getBytes(StandardCharsets.UTF_8), new byte[] {1, 2, 3});
    client.send(TEXT, "stream-1", streams.get("stream-1").get(1)); // a duplicate: dropped
    Map<String, Double> metrics = awaitOperatorMetrics(metricsPort, run1);
    System.out.println("run 1 operator metrics: " + metrics);
    awaitCommitted(TAGS, countTags(streams, 0, 4), run1);
    // Some input in flight when the signal comes.
    send(client, slice(streams, 4, 5));
    run1.process.destroy(); // SIGTERM
    assertThat(run1.process.waitFor(90, TimeUnit.SECONDS)).as("run 1 ends on SIGTERM").isTrue();
    assertThat(run1.process.exitValue()).as(run1.log()).isZero();
    Matcher savepointLine =
        Pattern.compile("SIGTERM: stopped; savepoint at (\\S+);").matcher(run1.log());
    assertThat(savepointLine.find()).as(run1.log()).isTrue();
    Path savepoint = Path.of(savepointLine.group(1));
    assertThat(savepoint).startsWith(stateDir.toAbsolutePath().resolve("savepoints"));
    assertThat(StateDirectory.isCompleted(savepoint)).isTrue();

    LiveProcess run2 = start("sigterm-run2", stateDir, transactionalIdPrefix);
    run2.awaitOutput("resuming from savepoint " + savepoint);
    send(client, slice(streams, 5, EVENTS_PER_STREAM));
    checkOutputs(client, streams, expected, run2);
  }

  /**
   * SIGKILL while outputs are in flight; the same command started again resumes from the latest
   * retained checkpoint, and every output still comes exactly once.
   */
  @Test
  void killedRunResumesFromTheRetainedCheckpoint() throws Exception {
    topics("sigkill");
    KafkaTestClient client = KAFKA.client();
    Path stateDir = tmp.resolve("state");
    String transactionalIdPrefix = prefix + "-" + System.nanoTime();
    Map<String, List<TextEvent>> streams = input();
    Map<String, List<TokenTag>> expected = expectedTags(streams);

    LiveProcess run1 = start("sigkill-run1", stateDir, transactionalIdPrefix);
    run1.awaitOutput("starting fresh");
    send(client, slice(streams, 0, 3));
    client.sendRaw(TEXT, 0, "bad".getBytes(StandardCharsets.UTF_8), new byte[] {1, 2, 3});
    int committed = awaitCommitted(TAGS, countTags(streams, 0, 3) / 2, run1);
    send(client, slice(streams, 3, 6));
    run1.process.destroyForcibly();
    assertThat(run1.process.waitFor(30, TimeUnit.SECONDS)).isTrue();
    System.out.printf(
        "run 1: killed (SIGKILL) with %d of %d tags committed%n",
        committed, countTags(streams, 0, 6));

    LiveProcess run2 = start("sigkill-run2", stateDir, transactionalIdPrefix);
    run2.awaitOutput(
        "resuming from checkpoint " + stateDir.toAbsolutePath().resolve("checkpoints"));
    send(client, slice(streams, 6, EVENTS_PER_STREAM));
    checkOutputs(client, streams, expected, run2);
  }

  // ---------------------------------------------------------------- the process

  /** One {@code rillet live} process and its combined stdout/stderr in a file. */
  private record LiveProcess(String name, Process process, Path output) {
    String log() {
      try {
        return Files.readString(output, StandardCharsets.UTF_8);
      } catch (IOException e) {
        return "(cannot read " + output + ": " + e + ")";
      }
    }

    /** Waits until the output holds {@code text}; fails if the process ends or time runs out. */
    void awaitOutput(String text) throws InterruptedException {
      long deadline = System.nanoTime() + DEADLINE.toNanos();
      while (!log().contains(text)) {
        assertThat(process.isAlive()).as(name + " ended early:\n" + log()).isTrue();
        assertThat(System.nanoTime() - deadline < 0)
            .as(name + ": no '" + text + "' in\n" + log())
            .isTrue();
        Thread.sleep(100);
      }
    }
  }

  private LiveProcess start(String name, Path stateDir, String txPrefix, String... extra)
      throws IOException {
    Path jar = Path.of(System.getProperty("rillet.jar", "target/rillet.jar")).toAbsolutePath();
    assertThat(jar).as("the packaged jar (mvn package)").isRegularFile();
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.add("-Xmx1g");
    if (System.getProperty("diag.log4j") != null) {
      command.add("-Dlog4j2.configurationFile=" + System.getProperty("diag.log4j"));
    }
    command.add("-Dorg.apache.avro.SERIALIZABLE_PACKAGES=dev.rillet.avro");
    command.addAll(
        List.of(
            "-jar",
            jar.toString(),
            "live",
            "--bootstrap-servers",
            KAFKA.bootstrapServers(),
            "--input-topic",
            TEXT,
            "--tags-topic",
            TAGS,
            "--sentiment-topic",
            SENTIMENT,
            "--dead-letter-topic",
            DEAD,
            "--transactional-id-prefix",
            txPrefix,
            "--group-id",
            prefix,
            "--model",
            MODEL.toString(),
            "--elmo",
            "none",
            "--parallelism",
            "2",
            "--max-bundle-tokens",
            "32",
            "--checkpoint-interval",
            "500ms",
            "--state-dir",
            stateDir.toString()));
    command.addAll(List.of(extra));
    Path logs = Path.of(System.getProperty("rillet.it.logs", tmp.toString()));
    Files.createDirectories(logs);
    Path output = logs.resolve(name + ".log");
    Process p =
        new ProcessBuilder(command)
            .directory(tmp.toFile())
            .redirectErrorStream(true)
            .redirectOutput(output.toFile())
            .start();
    started.add(p);
    return new LiveProcess(name, p, output);
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  // ---------------------------------------------------------------- input and expectations

  private static Map<String, List<TextEvent>> input() throws IOException {
    List<String> words = Files.readAllLines(MODEL.resolve("vocab.txt")).subList(2, 400);
    Random random = new Random(7);
    Map<String, List<TextEvent>> streams = new LinkedHashMap<>();
    for (int s = 0; s < STREAMS; s++) {
      String id = "stream-" + s;
      List<TextEvent> events = new ArrayList<>();
      for (int seq = 0; seq < EVENTS_PER_STREAM; seq++) {
        StringBuilder text = new StringBuilder();
        int n = 1 + random.nextInt(7);
        for (int w = 0; w < n; w++) {
          text.append(w == 0 ? "" : " ").append(words.get(random.nextInt(words.size())));
        }
        text.append(random.nextBoolean() ? "." : ",");
        events.add(
            TextEvent.newBuilder()
                .setStreamId(id)
                .setSeq(seq)
                .setEventTime(1_000_000L + seq * 100L + s)
                .setText(text.toString())
                .build());
      }
      streams.put(id, events);
    }
    return streams;
  }

  /** Events with seq in [from, to) of every stream, interleaved round robin. */
  private static List<TextEvent> slice(Map<String, List<TextEvent>> streams, int from, int to) {
    List<TextEvent> out = new ArrayList<>();
    for (int seq = from; seq < to; seq++) {
      for (List<TextEvent> s : streams.values()) {
        out.add(s.get(seq));
      }
    }
    return out;
  }

  private void send(KafkaTestClient client, List<TextEvent> events) {
    for (TextEvent e : events) {
      client.send(TEXT, e.getStreamId(), e);
    }
  }

  private static int countTags(Map<String, List<TextEvent>> streams, int from, int to) {
    WordTokenizer tokenizer = new WordTokenizer();
    int n = 0;
    for (TextEvent e : slice(streams, from, to)) {
      n += tokenizer.tokenize(e.getText()).size();
    }
    return n;
  }

  /** Each stream's tags of an uninterrupted run: positions running on; tag filled in later. */
  private static Map<String, List<TokenTag>> expectedTags(Map<String, List<TextEvent>> streams) {
    WordTokenizer tokenizer = new WordTokenizer();
    Map<String, List<TokenTag>> expected = new LinkedHashMap<>();
    for (var entry : streams.entrySet()) {
      List<TokenTag> tags = new ArrayList<>();
      for (TextEvent e : entry.getValue()) {
        for (Token t : tokenizer.tokenize(e.getText())) {
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
      }
      expected.put(entry.getKey(), tags);
    }
    return expected;
  }

  /** Waits until at least {@code count} tags are committed; returns how many are. */
  private int awaitCommitted(String topic, int count, LiveProcess run) throws InterruptedException {
    long deadline = System.nanoTime() + DEADLINE.toNanos();
    while (true) {
      int n = KAFKA.client().readCommittedRaw(topic, count, Duration.ofSeconds(10)).size();
      if (n >= count) {
        return n;
      }
      assertThat(run.process.isAlive()).as(run.name + " ended early:\n" + run.log()).isTrue();
      assertThat(System.nanoTime() - deadline < 0)
          .as(
              () ->
                  run.name
                      + ": only "
                      + n
                      + " of "
                      + count
                      + " committed in "
                      + topic
                      + "; "
                      + diagnose(topic)
                      + "\n"
                      + run.log())
          .isTrue();
    }
  }

  /** Per partition: records written (read_uncommitted) and committed; open transactions. */
  private String diagnose(String topic) {
    Map<String, Integer> written = new java.util.TreeMap<>();
    Map<String, Integer> committed = new java.util.TreeMap<>();
    java.util.Properties p = new java.util.Properties();
    p.put("bootstrap.servers", KAFKA.bootstrapServers());
    for (String isolation : List.of("read_uncommitted", "read_committed")) {
      p.put("isolation.level", isolation);
      try (var consumer =
          new org.apache.kafka.clients.consumer.KafkaConsumer<byte[], byte[]>(
              p,
              new org.apache.kafka.common.serialization.ByteArrayDeserializer(),
              new org.apache.kafka.common.serialization.ByteArrayDeserializer())) {
        var partitions =
            consumer.partitionsFor(topic).stream()
                .map(i -> new org.apache.kafka.common.TopicPartition(topic, i.partition()))
                .toList();
        consumer.assign(partitions);
        consumer.seekToBeginning(partitions);
        long end = System.nanoTime() + Duration.ofSeconds(5).toNanos();
        while (System.nanoTime() < end) {
          for (var r : consumer.poll(Duration.ofMillis(200))) {
            (isolation.equals("read_committed") ? committed : written)
                .merge("p" + r.partition(), 1, Integer::sum);
          }
        }
        // read_committed: the last stable offsets
        for (var last : consumer.endOffsets(partitions).entrySet()) {
          (isolation.equals("read_committed") ? committed : written)
              .put("end p" + last.getKey().partition(), last.getValue().intValue());
        }
      }
    }
    return "written " + written + ", committed " + committed + ", open " + openTransactions(topic);
  }

  /**
   * The broker's view of the transactions: per transactional id its state, producer id and epoch
   * and the partitions it spans; per partition of {@code topic} the producers with an open
   * transaction and the offset it started at (a lingering one holds read_committed readers back).
   */
  private String openTransactions(String topic) {
    try (Admin admin =
        Admin.create(
            Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, KAFKA.bootstrapServers()))) {
      List<String> ids =
          admin.listTransactions().all().get(10, TimeUnit.SECONDS).stream()
              .map(t -> t.transactionalId())
              .filter(id -> id.startsWith(prefix))
              .sorted()
              .toList();
      StringBuilder out = new StringBuilder("\ntransactions:");
      var descriptions = admin.describeTransactions(ids).all().get(10, TimeUnit.SECONDS);
      for (String id : ids) {
        var d = descriptions.get(id);
        out.append(
            String.format(
                "%n  %s %s pid %d epoch %d partitions %s",
                id, d.state(), d.producerId(), d.producerEpoch(), d.topicPartitions()));
      }
      var partitions =
          admin
              .describeTopics(List.of(topic))
              .allTopicNames()
              .get(10, TimeUnit.SECONDS)
              .get(topic)
              .partitions()
              .stream()
              .map(i -> new org.apache.kafka.common.TopicPartition(topic, i.partition()))
              .toList();
      out.append("\nproducers:");
      admin
          .describeProducers(partitions)
          .all()
          .get(10, TimeUnit.SECONDS)
          .forEach(
              (tp, state) ->
                  state.activeProducers().stream()
                      .filter(ps -> ps.currentTransactionStartOffset().isPresent())
                      .forEach(
                          ps ->
                              out.append(
                                  String.format(
                                      "%n  %s pid %d epoch %d open since offset %d",
                                      tp,
                                      ps.producerId(),
                                      ps.producerEpoch(),
                                      ps.currentTransactionStartOffset().getAsLong()))));
      return out.toString();
    } catch (Exception e) {
      return "(cannot describe transactions: " + e + ")";
    }
  }

  // ---------------------------------------------------------------- metrics

  /** Operator metrics the run must report with a positive value, by Prometheus name suffix. */
  private static final List<String> POSITIVE_METRICS =
      List.of(
          "tokensProcessed",
          "activeStreams",
          "batchSize_count",
          "inferenceLatencyMicros_count",
          "deadLetters",
          "droppedDuplicates",
          "sentences");

  private static final String EXECUTION_PROVIDER_METRIC =
      "flink_taskmanager_job_task_operator_executionProvider_onnxExecutionProvider";

  /** Scrapes the endpoint until every {@link #POSITIVE_METRICS} is positive; returns them. */
  private static Map<String, Double> awaitOperatorMetrics(int port, LiveProcess run)
      throws Exception {
    HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    HttpRequest request =
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/metrics"))
            .timeout(Duration.ofSeconds(5))
            .build();
    long deadline = System.nanoTime() + DEADLINE.toNanos();
    String body = "";
    while (true) {
      try {
        body = http.send(request, HttpResponse.BodyHandlers.ofString()).body();
      } catch (IOException notYetListening) {
        body = "(no answer: " + notYetListening + ")";
      }
      Map<String, Double> values = new LinkedHashMap<>();
      for (String m : POSITIVE_METRICS) {
        values.put(m, sum(body, "flink_taskmanager_job_task_operator_" + m));
      }
      // Reported although zero in this run: no stream expired, no model changed.
      boolean all =
          values.values().stream().allMatch(v -> v > 0)
              && sum(body, "flink_taskmanager_job_task_operator_evictions") >= 0
              && sum(body, "flink_taskmanager_job_task_operator_stateResetsOnModelChange") >= 0
              // The info metric whose label says where ONNX Runtime runs (value 1 per subtask).
              && sum(body, EXECUTION_PROVIDER_METRIC) > 0;
      if (all) {
        assertThat(body.lines().filter(l -> l.startsWith(EXECUTION_PROVIDER_METRIC + "{")))
            .allMatch(
                l ->
                    l.contains("executionProvider=\"cpu\"")
                        || l.contains("executionProvider=\"cuda\""));
        return values;
      }
      assertThat(run.process.isAlive()).as(run.name + " ended early:\n" + run.log()).isTrue();
      assertThat(System.nanoTime() - deadline < 0)
          .as("operator metrics " + values + " at port " + port + ":\n" + body)
          .isTrue();
      Thread.sleep(200);
    }
  }

  /** The sum over all series of {@code name} (all subtasks), or -1 when there is none. */
  private static double sum(String scrape, String name) {
    Predicate<String> isName = line -> line.startsWith(name + "{") || line.startsWith(name + " ");
    double total = -1;
    for (String line : scrape.split("\n")) {
      if (isName.test(line)) {
        double v = Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
        total = (total < 0 ? 0 : total) + v;
      }
    }
    return total;
  }

  // ---------------------------------------------------------------- outputs

  private void checkOutputs(
      KafkaTestClient client,
      Map<String, List<TextEvent>> streams,
      Map<String, List<TokenTag>> expected,
      LiveProcess run)
      throws Exception {
    int allTags = expected.values().stream().mapToInt(List::size).sum();
    List<KafkaTestClient.Received<TokenTag>> tags =
        client.readCommitted(TAGS, allTags, DEADLINE, TokenTag.getDecoder());
    assertThat(tags)
        .as(() -> "committed tags (exactly once); " + diagnose(TAGS) + "\n" + run.log())
        .hasSize(allTags);
    Map<String, List<TokenTag>> actual = new HashMap<>();
    for (var r : tags) {
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
          TokenTag g = got.get(i);
          TokenTag w = want.get(i);
          assertThat(g.getPosition()).as(entry.getKey()).isEqualTo(i);
          assertThat(g.getSeq()).isEqualTo(w.getSeq());
          assertThat(g.getToken()).isEqualTo(w.getToken());
          assertThat(g.getBegin()).isEqualTo(w.getBegin());
          assertThat(g.getEnd()).isEqualTo(w.getEnd());
          float[] p = SequenceReference.softmax(ref.tagLogits[i]);
          int best = SequenceReference.argmax(p);
          assertThat(g.getTag()).isEqualTo(model.tagLabels().get(best));
          assertThat(g.getProbability()).isCloseTo(p[best], within(1e-5f));
        }
      }
    }

    // One running sentiment per event, with the stream's token count so far.
    int events = STREAMS * EVENTS_PER_STREAM;
    List<KafkaTestClient.Received<StreamSentiment>> sentiment =
        client.readCommitted(SENTIMENT, events, DEADLINE, StreamSentiment.getDecoder());
    assertThat(sentiment)
        .as(() -> "committed sentiments (exactly once); " + diagnose(SENTIMENT) + "\n" + run.log())
        .hasSize(events);
    Map<String, Long> tokensSoFar = new HashMap<>();
    Map<String, Long> nextSeq = new HashMap<>();
    for (var r : sentiment) {
      StreamSentiment s = r.value();
      long seq = nextSeq.merge(s.getStreamId(), 1L, Long::sum) - 1;
      assertThat(s.getSeq()).as(s.getStreamId()).isEqualTo(seq);
      long seen =
          expected.get(s.getStreamId()).stream().filter(t -> t.getSeq() <= s.getSeq()).count();
      tokensSoFar.put(s.getStreamId(), seen);
      assertThat(s.getTokensSeen()).as(s.getStreamId() + " seq " + seq).isEqualTo(seen);
    }
    assertThat(tokensSoFar).hasSize(streams.size());

    List<KafkaTestClient.Received<RejectedRecord>> dead =
        client.readCommitted(DEAD, 1, DEADLINE, RejectedRecord.getDecoder());
    assertThat(dead).as("the one bad record, once").hasSize(1);
  }
}
