package dev.rillet.jobs.pipeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.rillet.avro.SentenceAnalysis;
import dev.rillet.avro.SentenceToken;
import dev.rillet.avro.TextEvent;
import dev.rillet.elmo.runtime.ElmoHeads;
import dev.rillet.elmo.runtime.ElmoLayers;
import dev.rillet.elmo.runtime.ElmoModel;
import dev.rillet.kafka.KafkaOptions;
import dev.rillet.kafka.RilletKafka;
import dev.rillet.kafka.testutils.EmbeddedKafkaExtension;
import dev.rillet.kafka.testutils.KafkaTestClient;
import dev.rillet.testutils.TestData;
import dev.rillet.testutils.TestModels;
import dev.rillet.tokenize.Token;
import dev.rillet.tokenize.WordTokenizer;
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
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The live job with the sentence stage on, end to end through a real in-process Kafka broker and a
 * MiniCluster at parallelism 2, on the AllenNLP fixture biLM with test heads: every token of every
 * stream lands in exactly one committed SentenceAnalysis, sentences come in order with consecutive
 * indices, and each equals ELMo + heads run directly on the sentence's tokens.
 */
class SentenceStageEndToEndTest {
  @RegisterExtension static final EmbeddedKafkaExtension KAFKA = new EmbeddedKafkaExtension();

  private static final Path GRU = TestModels.get("test-gru");
  private static final Path HEADS = TestModels.get("test-elmo-heads");

  @Test
  void everySentenceAnalysedExactlyOnceAndEqualToTheModelAlone() throws Exception {
    Path fixture = TestData.require().resolve("elmo-fixture");
    Configuration conf = new Configuration();
    conf.set(KafkaOptions.BOOTSTRAP_SERVERS, KAFKA.bootstrapServers());
    conf.set(KafkaOptions.INPUT_TOPIC, "s2e.text");
    conf.set(KafkaOptions.TAGS_TOPIC, "s2e.tags");
    conf.set(KafkaOptions.SENTIMENT_TOPIC, "s2e.sentiment");
    conf.set(KafkaOptions.SENTENCES_TOPIC, "s2e.sentences");
    conf.set(KafkaOptions.DEAD_LETTER_TOPIC, "s2e.dead");
    conf.set(KafkaOptions.TRANSACTIONAL_ID_PREFIX, "s2e-" + System.nanoTime());
    conf.set(SentenceOptions.ELMO_OPTIONS, fixture.resolve("options.json").toString());
    conf.set(SentenceOptions.ELMO_WEIGHTS, fixture.resolve("lm_weights.hdf5").toString());
    conf.set(SentenceOptions.ELMO_HEADS, HEADS.toString());
    conf.set(SentenceOptions.ELMO_MAX_BATCH_SIZE, 4);
    conf.set(SentenceOptions.ELMO_MAX_BUNDLE_TOKENS, 64);
    conf.set(PipelineOptions.PARALLELISM, 2);
    conf.set(PipelineOptions.CHECKPOINT_INTERVAL, Duration.ofMillis(500));
    KAFKA.createTopics(4, "s2e.text", "s2e.tags", "s2e.sentiment", "s2e.sentences", "s2e.dead");

    // 16 streams of 6 events; text fragments from the fixture sentences, with sentence ends
    // inside events, across events and at end of stream.
    List<String> words = new ArrayList<>();
    for (String line : java.nio.file.Files.readAllLines(fixture.resolve("sentences.json"))) {
      for (String w : line.replaceAll("[\\[\\]\",]", " ").trim().split("\\s+")) {
        if (!w.isEmpty() && w.chars().allMatch(Character::isLetter)) {
          words.add(w);
        }
      }
    }
    Random random = new Random(7);
    Map<String, List<TextEvent>> streams = new LinkedHashMap<>();
    for (int s = 0; s < 16; s++) {
      String id = "doc-" + s;
      List<TextEvent> events = new ArrayList<>();
      for (int seq = 0; seq < 6; seq++) {
        StringBuilder text = new StringBuilder();
        int n = 2 + random.nextInt(7);
        for (int w = 0; w < n; w++) {
          text.append(w == 0 ? "" : " ").append(words.get(random.nextInt(words.size())));
          if (w < n - 1 && random.nextInt(6) == 0) {
            text.append(".");
          }
        }
        if (random.nextBoolean()) {
          text.append(random.nextBoolean() ? "." : "!");
        }
        events.add(
            TextEvent.newBuilder()
                .setStreamId(id)
                .setSeq(seq)
                .setEventTime(1_000_000L + seq * 100L + s)
                .setText(text.toString())
                .setEndOfStream(seq == 5)
                .build());
      }
      streams.put(id, events);
    }
    KafkaTestClient client = KAFKA.client();
    for (int seq = 0; seq < 6; seq++) {
      for (List<TextEvent> events : streams.values()) {
        client.send("s2e.text", events.get(seq).getStreamId(), events.get(seq));
      }
    }

    try (var loaded = SentenceStage.resolve(conf).check()) {
      StreamExecutionEnvironment env = LiveEnvironment.create(conf);
      LiveJob.build(
          env, conf, GRU, RilletKafka.source(conf).bounded(OffsetsInitializer.latest()).build());
      env.execute("sentences-e2e");
    }

    // Every stream's tokens, as the tokenizer gives them.
    WordTokenizer tokenizer = new WordTokenizer();
    Map<String, List<String>> tokens = new HashMap<>();
    for (var e : streams.entrySet()) {
      List<String> t = new ArrayList<>();
      for (TextEvent event : e.getValue()) {
        tokenizer.tokenize(event.getText()).stream().map(Token::text).forEach(t::add);
      }
      tokens.put(e.getKey(), t);
    }

    // Sentences are read until every stream's tokens are covered; then nothing more may come.
    int expectedTokens = tokens.values().stream().mapToInt(List::size).sum();
    List<SentenceAnalysis> analyses = new ArrayList<>();
    int covered = 0;
    for (var r :
        client.readCommitted(
            "s2e.sentences", 1, Duration.ofSeconds(60), SentenceAnalysis.getDecoder())) {
      analyses.add(r.value());
    }
    for (SentenceAnalysis a : analyses) {
      covered += a.getTokens().size();
    }
    assertThat(covered).isEqualTo(expectedTokens);

    Map<String, List<SentenceAnalysis>> byStream = new HashMap<>();
    for (SentenceAnalysis a : analyses) {
      byStream.computeIfAbsent(a.getStreamId(), k -> new ArrayList<>()).add(a);
    }
    assertThat(byStream.keySet()).containsExactlyInAnyOrderElementsOf(streams.keySet());
    try (ElmoModel elmo =
            ElmoModel.builder()
                .convert(fixture.resolve("options.json"), fixture.resolve("lm_weights.hdf5"))
                .build();
        ElmoHeads heads = ElmoHeads.load(HEADS, 1)) {
      for (var e : byStream.entrySet()) {
        List<String> joined = new ArrayList<>();
        for (int i = 0; i < e.getValue().size(); i++) {
          SentenceAnalysis a = e.getValue().get(i);
          assertThat(a.getSentenceIndex()).as(e.getKey()).isEqualTo(i);
          List<String> words1 = a.getTokens().stream().map(SentenceToken::getToken).toList();
          joined.addAll(words1);
          List<ElmoLayers> layers = elmo.embed(List.of(words1));
          int[][] tags = new int[1][];
          float[][] p = new float[1][];
          float[][] s = new float[1][];
          heads.run(List.of(words1), layers, tags, p, s);
          for (int t = 0; t < words1.size(); t++) {
            SentenceToken got = a.getTokens().get(t);
            assertThat(got.getTag()).isEqualTo(heads.tagLabels().get(tags[0][t]));
            assertThat(got.getProbability()).isCloseTo(p[0][t], within(1e-5f));
            assertThat(got.getRealtimeTag()).isNotNull();
          }
          assertThat(a.getSentimentProbabilities().get("positive"))
              .isCloseTo(s[0][1], within(1e-5f));
        }
        assertThat(joined).as(e.getKey()).isEqualTo(tokens.get(e.getKey()));
      }
    }
  }
}
