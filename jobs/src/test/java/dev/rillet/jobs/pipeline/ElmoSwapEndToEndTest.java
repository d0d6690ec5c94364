package dev.rillet.jobs.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rillet.avro.SentenceAnalysis;
import dev.rillet.avro.TextEvent;
import dev.rillet.elmo.ElmoAnalyzer;
import dev.rillet.elmo.runtime.ElmoSource;
import dev.rillet.elmo.runtime.SentimentHead;
import dev.rillet.jobs.RilletTestAccess;
import dev.rillet.kafka.KafkaOptions;
import dev.rillet.kafka.testutils.EmbeddedKafkaExtension;
import dev.rillet.kafka.testutils.KafkaTestClient;
import dev.rillet.onnx.OrtSettings;
import dev.rillet.testutils.TestElmo;
import dev.rillet.testutils.TestModels;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * An ELMo model swap in a running live job (the wiring of the control topic into the sentence
 * stage), on the in-process broker and a MiniCluster at parallelism 2: sentences are analysed by
 * biLM A with heads A, {@code rillet model-update --elmo B --elmo-heads B} is written to the
 * model-control topic, and once new probe streams on both subtasks come back analysed by pair B,
 * the first streams' next sentences must be analysed by pair B, every sentence exactly once and
 * wholly by one pair (its modelIds name one biLM and its heads), while the sentences before the
 * update stay pair A's. Record-by-record equality with one-pair runs is {@code ElmoSwapTest}'s (the
 * operator's); here the point is that the job delivers the update to the stage.
 */
class ElmoSwapEndToEndTest {
  @RegisterExtension static final EmbeddedKafkaExtension KAFKA = new EmbeddedKafkaExtension();

  private static final Duration READ_TIMEOUT = Duration.ofSeconds(60);
  private static final int STREAMS = 8;
  private static final int PROBES = 16;

  @Test
  void elmoSwapMidStream(@TempDir Path tmp) throws Exception {
    Path elmoA = TestElmo.write(tmp.resolve("elmo-a"), 1);
    Path elmoB = TestElmo.write(tmp.resolve("elmo-b"), 2);
    Path headsA =
        TestElmo.headsFor(elmoA, TestModels.get("test-elmo-heads"), tmp.resolve("heads-a"));
    Path headsB =
        TestElmo.headsFor(elmoB, TestModels.get("test-elmo-heads-plain"), tmp.resolve("heads-b"));
    List<String> pairA = modelIds(elmoA, headsA);
    List<String> pairB = modelIds(elmoB, headsB);
    assertThat(pairA).doesNotContainAnyElementsOf(pairB);

    String prefix = "elmoswap";
    Configuration conf = KAFKA.jobOptions(prefix);
    conf.set(KafkaOptions.MODEL_UPDATES_TOPIC, prefix + ".model-updates");
    conf.set(SentenceOptions.ELMO, elmoA.toString());
    conf.set(SentenceOptions.ELMO_HEADS, headsA.toString());
    conf.set(SentenceOptions.ELMO_MAX_BUNDLE_TOKENS, 16);
    conf.set(PipelineOptions.PARALLELISM, 2);
    conf.set(PipelineOptions.CHECKPOINT_INTERVAL, Duration.ofMillis(300));
    KAFKA.createTopics(
        2,
        prefix + ".text",
        prefix + ".tags",
        prefix + ".sentiment",
        prefix + ".sentences",
        prefix + ".dead");

    StreamExecutionEnvironment env = LiveEnvironment.create(conf);
    LiveJob.buildLive(env, conf, TestModels.get("test-gru"));
    JobClient job = env.executeAsync(prefix);
    KafkaTestClient client = KAFKA.client();
    try {
      // Each stream: one sentence before the update (seq 0), one after (seq 1).
      int sentences = 0;
      for (int s = 0; s < STREAMS; s++) {
        send(client, prefix, "s-" + s, 0, "the cat sat on the mat .");
        sentences++;
      }
      assertThat(readSentences(client, prefix, sentences))
          .allSatisfy(a -> assertThat(a.getModelIds()).isEqualTo(pairA));

      // Through the launcher, as a user runs it.
      int rc =
          RilletTestAccess.run(
              "model-update",
              "--elmo",
              elmoB.toString(),
              "--elmo-heads",
              headsB.toString(),
              "--topic",
              prefix + ".model-updates",
              "--bootstrap-servers",
              KAFKA.bootstrapServers());
      assertThat(rc).isZero();

      // New probe streams until all of a round come back on pair B: then the update has passed
      // every sentence-elmo subtask.
      boolean switched = false;
      for (int round = 0; round < 60 && !switched; round++) {
        for (int p = 0; p < PROBES; p++) {
          send(client, prefix, "probe-" + round + "-" + p, 0, "a dog barked .");
          sentences++;
        }
        String probes = "probe-" + round + "-";
        switched =
            readSentences(client, prefix, sentences).stream()
                    .filter(a -> a.getStreamId().startsWith(probes))
                    .filter(a -> a.getModelIds().equals(pairB))
                    .count()
                == PROBES;
      }
      assertThat(switched).as("every sentence-elmo subtask switched to " + pairB).isTrue();

      for (int s = 0; s < STREAMS; s++) {
        send(client, prefix, "s-" + s, 1, "it was late .");
        sentences++;
      }
      List<SentenceAnalysis> all = readSentences(client, prefix, sentences);
      assertThat(all).hasSize(sentences);
      // Exactly once: one analysis per (stream, sentence).
      assertThat(
              all.stream()
                  .collect(
                      Collectors.groupingBy(
                          a -> a.getStreamId() + "#" + a.getSentenceIndex(), Collectors.counting()))
                  .values())
          .containsOnly(1L);
      Map<Long, List<List<String>>> firstStreamsBySentence =
          all.stream()
              .filter(a -> a.getStreamId().startsWith("s-"))
              .collect(
                  Collectors.groupingBy(
                      SentenceAnalysis::getSentenceIndex,
                      Collectors.mapping(SentenceAnalysis::getModelIds, Collectors.toList())));
      assertThat(firstStreamsBySentence.get(0L)).hasSize(STREAMS).containsOnly(pairA);
      assertThat(firstStreamsBySentence.get(1L)).hasSize(STREAMS).containsOnly(pairB);
      // Every sentence wholly by one pair: never a mix of A's biLM and B's heads.
      assertThat(all).allSatisfy(a -> assertThat(a.getModelIds()).isIn(pairA, pairB));
    } finally {
      job.cancel().get();
    }
  }

  private static void send(
      KafkaTestClient client, String prefix, String stream, long seq, String text) {
    client.send(
        prefix + ".text",
        stream,
        TextEvent.newBuilder()
            .setStreamId(stream)
            .setSeq(seq)
            .setEventTime(1_000_000L + seq * 100L)
            .setText(text)
            .build());
  }

  private static List<SentenceAnalysis> readSentences(
      KafkaTestClient client, String prefix, int expected) {
    List<SentenceAnalysis> out = new ArrayList<>();
    for (var r :
        client.readCommitted(
            prefix + ".sentences", expected, READ_TIMEOUT, SentenceAnalysis.getDecoder())) {
      out.add(r.value());
    }
    return out;
  }

  /** The model ids a sentence analysed by this pair carries, as the stage itself names them. */
  private static List<String> modelIds(Path elmo, Path heads) {
    try (ElmoAnalyzer analyzer =
        ElmoAnalyzer.factory(
                ElmoSource.resolve(elmo), heads, false, OrtSettings.of(1), SentimentHead.SST2)
            .create()) {
      return List.copyOf(analyzer.modelIds());
    }
  }
}
