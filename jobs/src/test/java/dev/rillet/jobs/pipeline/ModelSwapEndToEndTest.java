package dev.rillet.jobs.pipeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import dev.rillet.avro.ModelUpdatePolicy;
import dev.rillet.avro.StreamSentiment;
import dev.rillet.avro.TextEvent;
import dev.rillet.avro.TokenTag;
import dev.rillet.jobs.RilletTestAccess;
import dev.rillet.kafka.KafkaOptions;
import dev.rillet.kafka.testutils.EmbeddedKafkaExtension;
import dev.rillet.kafka.testutils.KafkaTestClient;
import dev.rillet.onnx.RecurrentModelPackage;
import dev.rillet.testutils.SequenceReference;
import dev.rillet.testutils.TestModels;
import dev.rillet.tokenize.Token;
import dev.rillet.tokenize.WordTokenizer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * A model swap under each policy in a running live job, on the in-process broker and a MiniCluster
 * at parallelism 2: streams are tagged by the GRU, {@code rillet model-update} writes an update to
 * the LSTM on the model-control topic, and after the job has switched (new probe streams show the
 * LSTM's id) the same streams go on. Checked record by record against the policy's definition;
 * every token before the switch has the GRU's tag over the stream from its start, and after it:
 *
 * <ul>
 *   <li>RESET: the LSTM's tag over the tokens after the switch only (a zero state);
 *   <li>REPLAY (the job keeps {@value #REPLAY_TOKENS} tokens): the LSTM's tag over the stream's
 *       last {@value #REPLAY_TOKENS} tokens before the switch followed by the tokens after it;
 *   <li>DRAIN: the GRU's tag over the whole stream, as if there had been no update.
 * </ul>
 *
 * Positions continue; under RESET and REPLAY the first token and the first sentiment after the
 * switch are marked modelSwitched, under DRAIN nothing is.
 */
class ModelSwapEndToEndTest {
  @RegisterExtension static final EmbeddedKafkaExtension KAFKA = new EmbeddedKafkaExtension();

  private static final Path GRU = TestModels.get("test-gru");
  private static final Path LSTM = TestModels.get("test-lstm");
  private static final Duration READ_TIMEOUT = Duration.ofSeconds(60);
  private static final int STREAMS = 12;
  private static final int PROBES = 16;
  private static final int REPLAY_TOKENS = 4;

  @ParameterizedTest
  @EnumSource(ModelUpdatePolicy.class)
  void swapMidStream(ModelUpdatePolicy policy) throws Exception {
    String prefix = "swap-" + policy.name().toLowerCase(Locale.ROOT);
    Configuration conf = KAFKA.jobOptions(prefix);
    conf.set(PipelineOptions.REPLAY_TOKENS, REPLAY_TOKENS);
    conf.set(KafkaOptions.MODEL_UPDATES_TOPIC, prefix + ".model-updates");
    conf.set(PipelineOptions.MAX_BUNDLE_TOKENS, 16);
    conf.set(PipelineOptions.PARALLELISM, 2);
    conf.set(PipelineOptions.CHECKPOINT_INTERVAL, Duration.ofMillis(300));
    conf.set(SentenceOptions.ELMO, SentenceOptions.NONE);
    KAFKA.createTopics(
        2, prefix + ".text", prefix + ".tags", prefix + ".sentiment", prefix + ".dead");

    List<String> words = Files.readAllLines(GRU.resolve("vocab.txt")).subList(2, 300);
    Random random = new Random(7);
    Map<String, List<TextEvent>> before = new LinkedHashMap<>();
    Map<String, List<TextEvent>> after = new LinkedHashMap<>();
    for (int s = 0; s < STREAMS; s++) {
      String id = "s-" + s;
      before.put(id, events(id, 0, 3, words, random));
      after.put(id, events(id, 3, 3, words, random));
    }

    StreamExecutionEnvironment env = LiveEnvironment.create(conf);
    LiveJob.buildLive(env, conf, GRU);
    JobClient job = env.executeAsync(prefix);
    KafkaTestClient client = KAFKA.client();
    try {
      int tags = send(client, prefix, before);
      assertThat(readTags(client, prefix, tags)).hasSize(tags);

      // Through the launcher, as a user runs it.
      int rc =
          RilletTestAccess.run(
              "model-update",
              "--model",
              LSTM.toString(),
              "--topic",
              prefix + ".model-updates",
              "--policy",
              policy.name().toLowerCase(Locale.ROOT),
              "--bootstrap-servers",
              KAFKA.bootstrapServers());
      assertThat(rc).isZero();

      // New probe streams on both subtasks until every one is tagged by the LSTM: then the
      // update has passed every tagger subtask, and the streams' next events come after it.
      // (New streams each round: under DRAIN a stream keeps the model it started with.)
      String lstmId = modelId(LSTM);
      boolean switched = false;
      for (int round = 0; round < 60 && !switched; round++) {
        Map<String, List<TextEvent>> probes = new LinkedHashMap<>();
        for (int p = 0; p < PROBES; p++) {
          String id = "probe-" + round + "-" + p;
          probes.put(
              id,
              List.of(
                  TextEvent.newBuilder()
                      .setStreamId(id)
                      .setSeq(0)
                      .setEventTime(2_000_000L + round)
                      .setText("the end .")
                      .build()));
        }
        tags += send(client, prefix, probes);
        List<TokenTag> all = readTags(client, prefix, tags);
        assertThat(all).hasSize(tags);
        int r = round;
        switched =
            all.stream()
                    .filter(t -> t.getStreamId().startsWith("probe-" + r + "-"))
                    .filter(t -> t.getModelId().equals(lstmId))
                    .map(TokenTag::getStreamId)
                    .distinct()
                    .count()
                == PROBES;
      }
      assertThat(switched).as("every tagger subtask switched to " + lstmId).isTrue();

      tags += send(client, prefix, after);
      List<TokenTag> all = readTags(client, prefix, tags);
      assertThat(all).hasSize(tags);
      Map<String, List<TokenTag>> byStream = new HashMap<>();
      for (TokenTag t : all) {
        byStream.computeIfAbsent(t.getStreamId(), k -> new ArrayList<>()).add(t);
      }
      for (String id : before.keySet()) {
        check(policy, byStream.get(id), tokens(before.get(id)), tokens(after.get(id)));
      }

      List<KafkaTestClient.Received<StreamSentiment>> sentiment =
          client.readCommitted(
              prefix + ".sentiment", 0, READ_TIMEOUT, StreamSentiment.getDecoder());
      for (String id : before.keySet()) {
        List<StreamSentiment> readings =
            sentiment.stream()
                .map(KafkaTestClient.Received::value)
                .filter(v -> v.getStreamId().equals(id))
                .toList();
        assertThat(readings).hasSize(6);
        boolean moves = policy != ModelUpdatePolicy.DRAIN;
        assertThat(readings)
            .extracting(StreamSentiment::getModelSwitched)
            .containsExactly(false, false, false, moves, false, false);
        assertThat(readings.get(3).getModelId()).isEqualTo(moves ? lstmId : modelId(GRU));
      }
    } finally {
      job.cancel().get();
    }
  }

  private static List<TextEvent> events(
      String id, int firstSeq, int count, List<String> words, Random random) {
    List<TextEvent> out = new ArrayList<>();
    for (int seq = firstSeq; seq < firstSeq + count; seq++) {
      StringBuilder text = new StringBuilder();
      int n = 2 + random.nextInt(6);
      for (int w = 0; w < n; w++) {
        text.append(w == 0 ? "" : " ").append(words.get(random.nextInt(words.size())));
      }
      out.add(
          TextEvent.newBuilder()
              .setStreamId(id)
              .setSeq(seq)
              .setEventTime(1_000_000L + seq * 100L)
              .setText(text.append(" .").toString())
              .build());
    }
    return out;
  }

  /** Writes the events, round robin over the streams; returns how many tokens they hold. */
  private static int send(
      KafkaTestClient client, String prefix, Map<String, List<TextEvent>> streams) {
    int tokens = 0;
    int longest = streams.values().stream().mapToInt(List::size).max().orElse(0);
    for (int i = 0; i < longest; i++) {
      for (List<TextEvent> stream : streams.values()) {
        if (i < stream.size()) {
          TextEvent e = stream.get(i);
          client.send(prefix + ".text", e.getStreamId(), e);
          tokens += new WordTokenizer().tokenize(e.getText()).size();
        }
      }
    }
    return tokens;
  }

  private static List<String> tokens(List<TextEvent> events) {
    WordTokenizer tokenizer = new WordTokenizer();
    List<String> out = new ArrayList<>();
    for (TextEvent e : events) {
      for (Token t : tokenizer.tokenize(e.getText())) {
        out.add(t.text());
      }
    }
    return out;
  }

  private static List<TokenTag> readTags(KafkaTestClient client, String prefix, int expected) {
    return client
        .readCommitted(prefix + ".tags", expected, READ_TIMEOUT, TokenTag.getDecoder())
        .stream()
        .map(KafkaTestClient.Received::value)
        .toList();
  }

  /**
   * A stream's tags against the policy's definition: the GRU over {@code before}, then over {@code
   * after} the GRU continued (DRAIN), a fresh LSTM (RESET) or an LSTM that first ran the last
   * {@value #REPLAY_TOKENS} tokens of {@code before} (REPLAY).
   */
  private static void check(
      ModelUpdatePolicy policy, List<TokenTag> got, List<String> before, List<String> after)
      throws Exception {
    assertThat(got).hasSize(before.size() + after.size());
    List<String> all = new ArrayList<>(before);
    all.addAll(after);
    try (OrtSession.SessionOptions options = new OrtSession.SessionOptions();
        RecurrentModelPackage gru =
            RecurrentModelPackage.load(GRU, OrtEnvironment.getEnvironment(), options);
        RecurrentModelPackage lstm =
            RecurrentModelPackage.load(LSTM, OrtEnvironment.getEnvironment(), options)) {
      SequenceReference old = SequenceReference.run(gru, all);
      // The new model's run and where the tokens after the switch start in it.
      int context = policy == ModelUpdatePolicy.REPLAY ? Math.min(REPLAY_TOKENS, before.size()) : 0;
      List<String> onLstm = new ArrayList<>(before.subList(before.size() - context, before.size()));
      onLstm.addAll(after);
      SequenceReference fresh = SequenceReference.run(lstm, onLstm);
      for (int i = 0; i < got.size(); i++) {
        TokenTag g = got.get(i);
        boolean onNew = i >= before.size() && policy != ModelUpdatePolicy.DRAIN;
        RecurrentModelPackage model = onNew ? lstm : gru;
        float[] logits = onNew ? fresh.tagLogits[i - before.size() + context] : old.tagLogits[i];
        float[] p = SequenceReference.softmax(logits);
        int best = SequenceReference.argmax(p);
        assertThat(g.getPosition()).as("position").isEqualTo(i);
        assertThat(g.getToken()).isEqualTo(all.get(i));
        assertThat(g.getModelId()).as("model at %d", i).isEqualTo(model.modelId());
        assertThat(g.getTag()).isEqualTo(model.tagLabels().get(best));
        assertThat(g.getProbability()).isCloseTo(p[best], within(1e-5f));
        assertThat(g.getModelSwitched())
            .as("switch mark at %d", i)
            .isEqualTo(onNew && i == before.size());
      }
    }
  }

  private static String modelId(Path dir) throws Exception {
    try (OrtSession.SessionOptions options = new OrtSession.SessionOptions();
        RecurrentModelPackage model =
            RecurrentModelPackage.load(dir, OrtEnvironment.getEnvironment(), options)) {
      return model.modelId();
    }
  }
}
