package dev.rillet.elmo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.rillet.avro.SentenceAnalysis;
import dev.rillet.avro.SentenceToken;
import dev.rillet.elmo.runtime.ElmoHeads;
import dev.rillet.elmo.runtime.ElmoLayers;
import dev.rillet.elmo.runtime.ElmoModel;
import dev.rillet.elmo.runtime.ElmoSource;
import dev.rillet.elmo.runtime.ElmoState;
import dev.rillet.recurrent.TaggedEvent;
import dev.rillet.segment.SentenceEnd;
import dev.rillet.testutils.ElmoFixture;
import dev.rillet.testutils.TestModels;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.streaming.api.watermark.Watermark;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.KeyedOneInputStreamOperatorTestHarness;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * SentenceElmo on the AllenNLP fixture biLM with random test heads: sentence assembly from events,
 * batching invariance, flush triggers, snapshot/restore with open sentences, key isolation and
 * stateful mode, each checked against the model run directly on the sentence alone.
 */
class SentenceElmoTest {
  private static final Path HEADS = TestModels.get("test-elmo-heads");
  private static ElmoFixture fixture;
  private static List<List<List<String>>> lists;

  @BeforeAll
  static void loadFixture() throws Exception {
    fixture = ElmoFixture.require();
    lists = fixture.sentences();
  }

  private static ElmoSource source() {
    return ElmoSource.pair(fixture.options(), fixture.weights());
  }

  private static SentenceElmo.Builder operator(boolean stateful) {
    return SentenceElmo.builder()
        .analyzer(ElmoAnalyzer.factory(source(), HEADS, stateful, 1))
        .stateful(stateful)
        .maxDelay(Duration.ofMillis(50));
  }

  private static KeyedOneInputStreamOperatorTestHarness<String, TaggedEvent, SentenceAnalysis>
      harness(SentenceElmo op) throws Exception {
    return new KeyedOneInputStreamOperatorTestHarness<>(op, e -> e.event.streamId, Types.STRING);
  }

  private static KeyedOneInputStreamOperatorTestHarness<String, TaggedEvent, SentenceAnalysis> open(
      SentenceElmo op) throws Exception {
    var h = harness(op);
    h.open();
    return h;
  }

  /** Fixture sentence i of list k as event text that ends its sentence. */
  private static String text(int list, int i) {
    // "." ends a sentence in the feed: keep only the final one.
    List<String> words = new ArrayList<>(lists.get(list).get(i));
    words.removeIf("."::equals);
    words.add(".");
    return String.join(" ", words);
  }

  /** Tags, probabilities and sentiment of one sentence run through ELMo and the heads alone. */
  private record Reference(int[] tags, float[] probabilities, float[] sentiment) {}

  private static Reference alone(List<String> words) throws Exception {
    try (ElmoModel elmo =
            ElmoModel.builder().convert(fixture.options(), fixture.weights()).build();
        ElmoHeads heads = ElmoHeads.load(HEADS, 1)) {
      return run(heads, words, elmo.embed(List.of(words)));
    }
  }

  private static Reference run(ElmoHeads heads, List<String> words, List<ElmoLayers> layers)
      throws Exception {
    int[][] tags = new int[1][];
    float[][] p = new float[1][];
    float[][] s = new float[1][];
    heads.run(List.of(words), layers, tags, p, s);
    return new Reference(tags[0], p[0], s[0]);
  }

  private static void assertMatches(SentenceAnalysis a, Reference r, List<String> labels) {
    List<SentenceToken> tokens = a.getTokens();
    assertThat(tokens).hasSize(r.tags.length);
    for (int i = 0; i < tokens.size(); i++) {
      assertThat(tokens.get(i).getTag()).isEqualTo(labels.get(r.tags[i]));
      assertThat(tokens.get(i).getProbability()).isCloseTo(r.probabilities[i], within(1e-6f));
    }
    Map<String, Float> p = a.getSentimentProbabilities();
    assertThat(p.get("negative")).isCloseTo(r.sentiment[0], within(1e-6f));
    assertThat(p.get("positive")).isCloseTo(r.sentiment[1], within(1e-6f));
  }

  private static List<SentenceAnalysis> outputs(
      KeyedOneInputStreamOperatorTestHarness<String, TaggedEvent, SentenceAnalysis> h) {
    return new ArrayList<>(h.extractOutputValues());
  }

  @Test
  void assemblesSentencesAcrossEventsWithOffsetsSeqsAndRevisions() throws Exception {
    var h = open(operator(false).build());
    SentenceFeed feed = new SentenceFeed("s");
    h.processElement(feed.event("The cat"), 0);
    h.processElement(feed.event("sat . A"), 1000);
    h.processElement(feed.event("dog barked"), 2000);
    h.processElement(feed.event("Hello", SentenceEnd.IDLE_GAP), 3000);
    h.processWatermark(3000);
    List<SentenceAnalysis> out = outputs(h);
    assertThat(out).hasSize(2);

    SentenceAnalysis first = out.get(0);
    assertThat(first.getStreamId()).isEqualTo("s");
    assertThat(first.getSentenceIndex()).isZero();
    assertThat(first.getFirstSeq()).isZero();
    assertThat(first.getLastSeq()).isEqualTo(1);
    assertThat(first.getClosedBy()).isEqualTo("TERMINATOR");
    assertThat(first.getEventTime()).isEqualTo(1000);
    assertThat(first.getTokens())
        .extracting(SentenceToken::getToken, SentenceToken::getPosition, SentenceToken::getSeq)
        .containsExactly(
            org.assertj.core.groups.Tuple.tuple("The", 0L, 0L),
            org.assertj.core.groups.Tuple.tuple("cat", 1L, 0L),
            org.assertj.core.groups.Tuple.tuple("sat", 2L, 1L),
            org.assertj.core.groups.Tuple.tuple(".", 3L, 1L));
    assertThat(first.getTokens().get(2).getBegin()).isZero();
    assertThat(first.getTokens().get(3).getBegin()).isEqualTo(4);
    assertThat(first.getModelIds())
        .containsExactly("elmo-fixture/lm_weights.hdf5", "test-elmo-heads@1.0.0");
    assertMatches(first, alone(List.of("The", "cat", "sat", ".")), tagLabels());
    for (SentenceToken t : first.getTokens()) {
      assertThat(t.getRealtimeTag()).isEqualTo(SentenceFeed.REALTIME_TAG);
      assertThat(t.getRevised()).isEqualTo(!t.getTag().equals(SentenceFeed.REALTIME_TAG));
    }
    assertThat(first.getSentiment())
        .isEqualTo(
            first.getSentimentProbabilities().get("positive")
                    > first.getSentimentProbabilities().get("negative")
                ? "positive"
                : "negative");

    SentenceAnalysis second = out.get(1);
    assertThat(second.getSentenceIndex()).isEqualTo(1);
    assertThat(second.getClosedBy()).isEqualTo("IDLE_GAP");
    // The close time the segmenter gives (the idle deadline), not the next event's time.
    assertThat(second.getEventTime()).isEqualTo(2999);
    assertThat(second.getTokens())
        .extracting(SentenceToken::getToken)
        .containsExactly("A", "dog", "barked");
    assertMatches(second, alone(List.of("A", "dog", "barked")), tagLabels());
    assertThat(h.getOneInputOperator()).isInstanceOf(SentenceElmo.class);
    assertThat(((SentenceElmo) h.getOneInputOperator()).openTokens("s"))
        .extracting(t -> t.text)
        .containsExactly("Hello");
    h.close();
  }

  private static List<String> tagLabels() {
    try (ElmoHeads heads = ElmoHeads.load(HEADS, 1)) {
      return heads.tagLabels();
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  /** Three interleaved streams of fixture sentences, run with the given batching. */
  private static List<SentenceAnalysis> interleaved(int bundle, int batch, int batchTokens)
      throws Exception {
    var h =
        open(
            operator(false)
                .maxBundleTokens(bundle)
                .maxBatchSize(batch)
                .maxBatchTokens(batchTokens)
                .build());
    List<SentenceFeed> feeds =
        List.of(new SentenceFeed("a"), new SentenceFeed("b"), new SentenceFeed("c"));
    for (int i = 0; i < 4; i++) {
      for (int k = 0; k < 3; k++) {
        h.processElement(feeds.get(k).event(text(k, i)), i);
      }
    }
    h.processWatermark(Long.MAX_VALUE);
    List<SentenceAnalysis> out = outputs(h);
    h.close();
    return out;
  }

  @Test
  void batchingAndInterleavingNeverChangeASentencesResult() throws Exception {
    List<SentenceAnalysis> one = interleaved(1, 1, 1);
    List<SentenceAnalysis> big = interleaved(4096, 32, 4096);
    List<SentenceAnalysis> mixed = interleaved(60, 2, 80);
    assertThat(one).hasSize(12);
    List<String> labels = tagLabels();
    for (List<SentenceAnalysis> run : List.of(one, big, mixed)) {
      assertThat(run).hasSize(12);
      for (String stream : List.of("a", "b", "c")) {
        List<SentenceAnalysis> mine =
            run.stream().filter(a -> a.getStreamId().equals(stream)).toList();
        assertThat(mine)
            .extracting(SentenceAnalysis::getSentenceIndex)
            .containsExactly(0L, 1L, 2L, 3L);
      }
    }
    // Each sentence equals the model run on it alone; checked on the most mixed run.
    for (SentenceAnalysis a : mixed) {
      List<String> words = a.getTokens().stream().map(SentenceToken::getToken).toList();
      assertMatches(a, alone(words), labels);
    }
    for (int i = 0; i < 12; i++) {
      SentenceAnalysis x = findSame(big, one.get(i));
      for (int t = 0; t < x.getTokens().size(); t++) {
        assertThat(x.getTokens().get(t).getTag()).isEqualTo(one.get(i).getTokens().get(t).getTag());
        assertThat(x.getTokens().get(t).getProbability())
            .isCloseTo(one.get(i).getTokens().get(t).getProbability(), within(1e-6f));
      }
    }
  }

  private static SentenceAnalysis findSame(List<SentenceAnalysis> run, SentenceAnalysis a) {
    return run.stream()
        .filter(
            x ->
                x.getStreamId().equals(a.getStreamId())
                    && x.getSentenceIndex() == a.getSentenceIndex())
        .findFirst()
        .orElseThrow();
  }

  @Test
  void holdsSentencesUntilATriggerThenFlushes() throws Exception {
    var h = open(operator(false).maxBundleTokens(10_000).build());
    h.setProcessingTime(0);
    SentenceFeed feed = new SentenceFeed("s");
    h.processElement(feed.event("one sentence ."), 10);
    assertThat(outputs(h)).isEmpty();
    h.processWatermark(20);
    List<Object> raw = List.copyOf(h.getOutput());
    assertThat(raw).hasSize(2);
    assertThat(((StreamRecord<?>) raw.get(0)).getTimestamp()).isEqualTo(10);
    assertThat(raw.get(1)).isEqualTo(new Watermark(20));

    h.processElement(feed.event("another one ."), 30);
    h.prepareSnapshotPreBarrier(1);
    assertThat(outputs(h)).hasSize(2);

    h.processElement(feed.event("by delay ."), 40);
    h.setProcessingTime(49);
    assertThat(outputs(h)).hasSize(2);
    h.setProcessingTime(50);
    assertThat(outputs(h)).hasSize(3);

    h.processElement(feed.event("at the end ."), 50);
    h.endInput();
    h.close();
    assertThat(outputs(h)).hasSize(4);
  }

  @Test
  void flushesOnceTheBundleHoldsEnoughTokens() throws Exception {
    var h = open(operator(false).maxBundleTokens(6).build());
    SentenceFeed a = new SentenceFeed("a");
    SentenceFeed b = new SentenceFeed("b");
    h.processElement(a.event("a b ."), 0);
    h.processElement(b.event("c d"), 0);
    assertThat(outputs(h)).isEmpty();
    h.processElement(b.event("e ."), 0);
    assertThat(outputs(h)).extracting(SentenceAnalysis::getStreamId).containsExactly("a", "b");
    h.close();
  }

  @Test
  void aSizeFlushInsideAnEventKeepsTheRestOfTheEventOnItsOwnStream() throws Exception {
    // Stateful flushes visit other streams' state; the event's trailing tokens must still land in
    // the open sentence of their own stream.
    var h = open(operator(true).maxBundleTokens(6).build());
    SentenceFeed c = new SentenceFeed("c");
    SentenceFeed b = new SentenceFeed("b");
    h.processElement(c.event("It rained ."), 0);
    // Closes a sentence (6 queued tokens: the flush runs) and opens the next one.
    h.processElement(b.event("Stocks fell . More"), 0);
    SentenceElmo op = (SentenceElmo) h.getOneInputOperator();
    assertThat(outputs(h)).extracting(SentenceAnalysis::getStreamId).containsExactly("c", "b");
    assertThat(op.openTokens("b")).extracting(t -> t.text).containsExactly("More");
    assertThat(op.openTokens("c")).isEmpty();
    h.close();
  }

  @Test
  void openSentencesSurviveSnapshotAndRestore() throws Exception {
    List<TaggedEvent> events = new ArrayList<>();
    SentenceFeed a = new SentenceFeed("a");
    SentenceFeed b = new SentenceFeed("b");
    events.add(a.event("The quick brown"));
    events.add(b.event("Stocks fell"));
    events.add(a.event("fox jumps ."));
    events.add(b.event("sharply on Monday ."));
    events.add(a.event("Then it slept"));
    events.add(a.event("soundly ."));

    var whole = open(operator(false).maxBundleTokens(10_000).build());
    for (TaggedEvent e : events) {
      whole.processElement(e, 0);
    }
    whole.processWatermark(Long.MAX_VALUE);
    List<SentenceAnalysis> expected = outputs(whole);
    whole.close();

    var first = open(operator(false).maxBundleTokens(10_000).build());
    first.processElement(events.get(0), 0);
    first.processElement(events.get(1), 0);
    first.processElement(events.get(2), 0);
    // As the task does: the barrier's pre-snapshot hook first, then the snapshot.
    first.prepareSnapshotPreBarrier(1);
    OperatorSubtaskState snapshot = first.snapshot(1, 1);
    List<SentenceAnalysis> before = outputs(first);
    first.close();
    assertThat(before).extracting(SentenceAnalysis::getStreamId).containsExactly("a");

    var second = harness(operator(false).maxBundleTokens(10_000).build());
    second.initializeState(snapshot);
    second.open();
    assertThat(((SentenceElmo) second.getOneInputOperator()).openTokens("b"))
        .extracting(t -> t.text)
        .containsExactly("Stocks", "fell");
    for (TaggedEvent e : events.subList(3, events.size())) {
      second.processElement(e, 0);
    }
    second.processWatermark(Long.MAX_VALUE);
    List<SentenceAnalysis> after = outputs(second);
    second.close();

    List<SentenceAnalysis> restored = new ArrayList<>(before);
    restored.addAll(after);
    assertThat(restored).isEqualTo(expected);
  }

  @Test
  void aFreshStreamDropsItsOpenSentence() throws Exception {
    var h = open(operator(false).build());
    h.processElement(new SentenceFeed("s").event("never finished"), 0);
    h.processElement(new SentenceFeed("s").event("A new start ."), 0);
    h.processWatermark(Long.MAX_VALUE);
    assertThat(outputs(h))
        .singleElement()
        .satisfies(
            a ->
                assertThat(a.getTokens())
                    .extracting(SentenceToken::getToken)
                    .containsExactly("A", "new", "start", "."));
    h.close();
  }

  /**
   * The event that comes after the TTL (a replay, or a live job whose watermark had not reached the
   * expiry yet) both closes the expired stream's sentence and starts the stream afresh: the
   * sentence is analysed, as the idle-gap timer would have had it, before the state is released.
   */
  @Test
  void anEventAfterTheTtlClosesTheExpiredSentenceBeforeStartingAfresh() throws Exception {
    var h = open(operator(false).build());
    SentenceFeed feed = new SentenceFeed("s");
    h.processElement(feed.event("left open"), 0);
    TaggedEvent afterTtl = feed.event("A new start .", SentenceEnd.IDLE_GAP);
    afterTtl.event.freshStream = true;
    h.processElement(afterTtl, 0);
    h.processWatermark(Long.MAX_VALUE);
    assertThat(outputs(h))
        .extracting(a -> a.getClosedBy() + " " + a.getTokens().size())
        .containsExactly("IDLE_GAP 2", "TERMINATOR 4");
    h.close();
  }

  @Test
  void statefulModeCarriesEachStreamsLstmStateLikeAllenNlp() throws Exception {
    var h = open(operator(true).maxBundleTokens(10_000).build());
    SentenceFeed a = new SentenceFeed("a");
    SentenceFeed b = new SentenceFeed("b");
    // Both sentences of a stream in one bundle: the flush must run them in rounds.
    for (int i = 0; i < 3; i++) {
      h.processElement(a.event(text(0, i)), 0);
      h.processElement(b.event(text(1, i)), 0);
    }
    h.processWatermark(Long.MAX_VALUE);
    List<SentenceAnalysis> out = outputs(h);
    assertThat(out).hasSize(6);

    try (ElmoModel elmo =
            ElmoModel.builder()
                .convert(fixture.options(), fixture.weights())
                .stateful(true)
                .build();
        ElmoHeads heads = ElmoHeads.load(HEADS, 1)) {
      for (int k = 0; k < 2; k++) {
        String stream = k == 0 ? "a" : "b";
        ElmoState state = elmo.newState();
        List<SentenceAnalysis> mine =
            out.stream().filter(x -> x.getStreamId().equals(stream)).toList();
        for (int i = 0; i < 3; i++) {
          List<String> words = List.of(text(k, i).split(" "));
          Reference r = run(heads, words, elmo.embed(List.of(words), List.of(state)));
          assertMatches(mine.get(i), r, heads.tagLabels());
        }
        float[] stored = ((SentenceElmo) h.getOneInputOperator()).storedLstmState(stream);
        assertThat(stored).hasSize(state.h().length + state.c().length);
        assertThat(java.util.Arrays.copyOf(stored, state.h().length)).containsExactly(state.h());
      }
      // Control: without the carried state the second sentence comes out differently, so the
      // comparison above can fail.
      Reference stateless = alone(List.of(text(0, 1).split(" ")));
      SentenceAnalysis second =
          out.stream().filter(x -> x.getStreamId().equals("a")).toList().get(1);
      double diff = 0;
      for (int t = 0; t < stateless.probabilities().length; t++) {
        diff =
            Math.max(
                diff,
                Math.abs(
                    second.getTokens().get(t).getProbability() - stateless.probabilities()[t]));
      }
      assertThat(diff).isGreaterThan(1e-4);
    }
    h.close();
  }

  @Test
  void rejectsAMissingAnalyzerAndBadLimits() {
    assertThatThrownBy(() -> SentenceElmo.builder().maxBatchSize(0).build())
        .hasMessageContaining("analyzer is not set")
        .hasMessageContaining("maxBatchSize must be >= 1");
  }
}
