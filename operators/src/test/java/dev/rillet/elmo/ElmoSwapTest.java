package dev.rillet.elmo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.rillet.avro.ModelUpdate;
import dev.rillet.avro.ModelUpdatePolicy;
import dev.rillet.avro.ModelUpdateTarget;
import dev.rillet.avro.SentenceAnalysis;
import dev.rillet.elmo.runtime.ElmoSource;
import dev.rillet.recurrent.TaggedEvent;
import dev.rillet.testutils.TestElmo;
import dev.rillet.testutils.TestModels;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.streaming.api.watermark.Watermark;
import org.apache.flink.streaming.util.KeyedOneInputStreamOperatorTestHarness;
import org.apache.flink.streaming.util.KeyedTwoInputStreamOperatorTestHarness;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * ELMo model updates in {@link SentenceElmo}, on two small random biLMs with heads packages made
 * for them: every sentence is checked against a run of one pair alone over the same events.
 */
class ElmoSwapTest {
  @TempDir static Path tmp;

  /** Pair A: biLM a + test-elmo-heads. Pair B: biLM b + test-elmo-heads-plain. */
  private static Path elmoA;

  private static Path elmoB;
  private static Path headsA;
  private static Path headsB;

  /** test-elmo-heads-plain made for biLM a: a heads-only swap from pair A. */
  private static Path headsPlainOnA;

  private static final String HEADS_A_ID = "test-elmo-heads@1.0.0";
  private static final String HEADS_PLAIN_ID = "test-elmo-heads-plain@1.0.0";

  @BeforeAll
  static void models() throws Exception {
    elmoA = TestElmo.write(tmp.resolve("elmo-a"), 1);
    elmoB = TestElmo.write(tmp.resolve("elmo-b"), 2);
    headsA = TestElmo.headsFor(elmoA, TestModels.get("test-elmo-heads"), tmp.resolve("heads-a"));
    headsB =
        TestElmo.headsFor(elmoB, TestModels.get("test-elmo-heads-plain"), tmp.resolve("heads-b"));
    headsPlainOnA =
        TestElmo.headsFor(
            elmoA, TestModels.get("test-elmo-heads-plain"), tmp.resolve("heads-plain-a"));
  }

  private static SentenceElmo operator(Path elmo, Path heads, boolean stateful) {
    return SentenceElmo.builder()
        .analyzer(ElmoAnalyzer.factory(ElmoSource.resolve(elmo), heads, stateful, 1))
        .stateful(stateful)
        // Nothing flushes on its own before the watermark: only the update can.
        .maxBundleTokens(10_000)
        .maxDelay(Duration.ofHours(1))
        .build();
  }

  private static KeyedTwoInputStreamOperatorTestHarness<
          String, TaggedEvent, ModelUpdate, SentenceAnalysis>
      harness(Path elmo, Path heads, boolean stateful) throws Exception {
    // The control input is broadcast, not keyed: no key selector for it.
    return new KeyedTwoInputStreamOperatorTestHarness<>(
        operator(elmo, heads, stateful), e -> e.event.streamId, null, Types.STRING);
  }

  private static SentenceElmo op(
      KeyedTwoInputStreamOperatorTestHarness<String, TaggedEvent, ModelUpdate, SentenceAnalysis>
          h) {
    return (SentenceElmo) h.getOperator();
  }

  private static ModelUpdate update(String id, Path elmo, Path heads, String headsId) {
    return ModelUpdate.newBuilder()
        .setUpdateId(id)
        .setCreatedAt(1_700_000_000_000L)
        .setModelId(headsId)
        .setPackageDir(heads.toAbsolutePath().toString())
        .setPolicy(ModelUpdatePolicy.RESET)
        .setTarget(ModelUpdateTarget.ELMO)
        .setElmoSource(elmo == null ? null : elmo.toAbsolutePath().toString())
        .build();
  }

  /** Events of two streams; the update goes between {@link #BEFORE} and the rest. */
  private static List<TaggedEvent> events() {
    SentenceFeed a = new SentenceFeed("a");
    SentenceFeed b = new SentenceFeed("b");
    return List.of(
        a.event("the cat sat ."),
        b.event("dogs bark at night ."),
        // Open at the update, closed after it: wholly on the new pair.
        a.event("then it"),
        b.event("birds sing ."),
        a.event("slept all day ."),
        b.event("a fox ran past the old barn ."));
  }

  private static final int BEFORE = 3;

  /** What one pair alone makes of {@code events}, by stream and sentence index. */
  private static Map<String, SentenceAnalysis> reference(
      Path elmo, Path heads, boolean stateful, List<TaggedEvent> events) throws Exception {
    var h =
        new KeyedOneInputStreamOperatorTestHarness<>(
            operator(elmo, heads, stateful), (TaggedEvent e) -> e.event.streamId, Types.STRING);
    h.open();
    for (TaggedEvent e : events) {
      h.processElement(e, e.event.eventTime);
    }
    h.processWatermark(Long.MAX_VALUE);
    Map<String, SentenceAnalysis> out = new HashMap<>();
    for (SentenceAnalysis s : h.extractOutputValues()) {
      out.put(key(s), s);
    }
    h.close();
    return out;
  }

  private static String key(SentenceAnalysis s) {
    return s.getStreamId() + "#" + s.getSentenceIndex();
  }

  private static List<SentenceAnalysis> outputs(
      KeyedTwoInputStreamOperatorTestHarness<String, TaggedEvent, ModelUpdate, SentenceAnalysis>
          h) {
    return new ArrayList<>(h.extractOutputValues());
  }

  private static void assertSame(SentenceAnalysis actual, SentenceAnalysis expected) {
    assertThat(actual.getModelIds()).as(key(actual)).isEqualTo(expected.getModelIds());
    assertThat(actual.getTokens()).hasSameSizeAs(expected.getTokens());
    for (int i = 0; i < expected.getTokens().size(); i++) {
      var a = actual.getTokens().get(i);
      var e = expected.getTokens().get(i);
      assertThat(a.getToken()).isEqualTo(e.getToken());
      assertThat(a.getPosition()).isEqualTo(e.getPosition());
      assertThat(a.getTag()).as(key(actual) + " token " + i).isEqualTo(e.getTag());
      assertThat(a.getProbability()).isCloseTo(e.getProbability(), within(1e-5f));
    }
    assertThat(actual.getSentiment()).isEqualTo(expected.getSentiment());
    assertThat(actual.getSentimentProbabilities().keySet())
        .isEqualTo(expected.getSentimentProbabilities().keySet());
    for (var p : expected.getSentimentProbabilities().entrySet()) {
      assertThat(actual.getSentimentProbabilities().get(p.getKey()))
          .isCloseTo(p.getValue(), within(1e-5f));
    }
  }

  @Test
  void sentencesBeforeTheUpdateRunOnTheOldPairAndAfterItOnTheNew() throws Exception {
    List<TaggedEvent> events = events();
    Map<String, SentenceAnalysis> onA = reference(elmoA, headsA, false, events);
    Map<String, SentenceAnalysis> onB = reference(elmoB, headsB, false, events);
    // The two pairs really differ, so the comparison below tells them apart.
    assertThat(onA.get("a#0").getModelIds()).isNotEqualTo(onB.get("a#0").getModelIds());

    var h = harness(elmoA, headsA, false);
    h.open();
    for (int i = 0; i < BEFORE; i++) {
      h.processElement1(events.get(i), events.get(i).event.eventTime);
    }
    assertThat(h.getOutput()).isEmpty();
    h.processElement2(update("u1", elmoB, headsB, HEADS_PLAIN_ID), 0);
    // The update flushed what was closed before it, on the old pair.
    List<SentenceAnalysis> flushed = outputs(h);
    assertThat(flushed).extracting(ElmoSwapTest::key).containsExactly("a#0", "b#0");
    for (int i = BEFORE; i < events.size(); i++) {
      h.processElement1(events.get(i), events.get(i).event.eventTime);
    }
    h.processWatermark1(new Watermark(Long.MAX_VALUE));
    List<SentenceAnalysis> out = outputs(h);
    assertThat(op(h).modelUpdatesApplied()).isEqualTo(1);
    assertThat(op(h).modelUpdatesRefused()).isZero();
    h.close();

    assertThat(out)
        .extracting(ElmoSwapTest::key)
        .containsExactlyInAnyOrder("a#0", "b#0", "b#1", "a#1", "b#2");
    for (SentenceAnalysis s : out) {
      boolean before = key(s).equals("a#0") || key(s).equals("b#0");
      assertSame(s, (before ? onA : onB).get(key(s)));
    }
    assertThat(out.stream().filter(s -> s.getModelIds().contains(HEADS_PLAIN_ID))).hasSize(3);
  }

  @Test
  void aHeadsOnlyUpdateKeepsTheBilm() throws Exception {
    List<TaggedEvent> events = events();
    Map<String, SentenceAnalysis> onA = reference(elmoA, headsA, false, events);
    Map<String, SentenceAnalysis> onPlain = reference(elmoA, headsPlainOnA, false, events);

    var h = harness(elmoA, headsA, false);
    h.open();
    for (int i = 0; i < BEFORE; i++) {
      h.processElement1(events.get(i), events.get(i).event.eventTime);
    }
    h.processElement2(update("heads-only", null, headsPlainOnA, HEADS_PLAIN_ID), 0);
    for (int i = BEFORE; i < events.size(); i++) {
      h.processElement1(events.get(i), events.get(i).event.eventTime);
    }
    h.processWatermark1(new Watermark(Long.MAX_VALUE));
    List<SentenceAnalysis> out = outputs(h);
    assertThat(op(h).modelUpdatesApplied()).isEqualTo(1);
    h.close();
    for (SentenceAnalysis s : out) {
      boolean before = key(s).equals("a#0") || key(s).equals("b#0");
      assertSame(s, (before ? onA : onPlain).get(key(s)));
    }
    assertThat(onPlain.get("a#1").getModelIds())
        .containsExactly("elmo-a/weights.hdf5", HEADS_PLAIN_ID);
  }

  @Test
  void invalidUpdatesAreRefusedWhileTheOldPairServes() throws Exception {
    // A heads package whose manifest disagrees with its graph.
    Path broken = TestModels.copy(headsB, tmp.resolve("broken-heads"));
    Path manifest = broken.resolve("manifest.json");
    Files.writeString(
        manifest,
        Files.readString(manifest, StandardCharsets.UTF_8)
            .replaceFirst("\"dim\": *\\d+", "\"dim\": 7"),
        StandardCharsets.UTF_8);
    List<TaggedEvent> events = events();
    Map<String, SentenceAnalysis> onA = reference(elmoA, headsA, false, events);

    var h = harness(elmoA, headsA, false);
    h.open();
    h.processElement1(events.get(0), events.get(0).event.eventTime);
    h.processElement2(update("broken", elmoB, broken, HEADS_PLAIN_ID), 0);
    h.processElement2(update("missing", elmoB, tmp.resolve("nowhere"), HEADS_PLAIN_ID), 0);
    // Heads made for biLM b on biLM a: the heads' biLM check refuses the pair.
    h.processElement2(update("misfit", null, headsB, HEADS_PLAIN_ID), 0);
    // A sound pair that is not the heads package the update names.
    h.processElement2(update("other", elmoB, headsB, HEADS_A_ID), 0);
    h.processElement2(update("no-bilm", tmp.resolve("no-bilm"), headsB, HEADS_PLAIN_ID), 0);
    ModelUpdate drain = update("drain", elmoB, headsB, HEADS_PLAIN_ID);
    drain.setPolicy(ModelUpdatePolicy.DRAIN);
    h.processElement2(drain, 0);
    // A tagger update is none of this operator's business: neither applied nor refused.
    ModelUpdate tagger = update("tagger", null, headsB, HEADS_PLAIN_ID);
    tagger.setTarget(ModelUpdateTarget.TAGGER);
    tagger.setElmoSource(null);
    h.processElement2(tagger, 0);
    for (int i = 1; i < events.size(); i++) {
      h.processElement1(events.get(i), events.get(i).event.eventTime);
    }
    h.processWatermark1(new Watermark(Long.MAX_VALUE));
    List<SentenceAnalysis> out = outputs(h);
    assertThat(op(h).modelUpdatesRefused()).isEqualTo(6);
    assertThat(op(h).modelUpdatesApplied()).isZero();
    assertThat(op(h).servingModelIds()).containsExactly("elmo-a/weights.hdf5", HEADS_A_ID);
    h.close();
    assertThat(out).hasSize(onA.size());
    for (SentenceAnalysis s : out) {
      assertSame(s, onA.get(key(s)));
    }
  }

  @Test
  void aRestoreAfterTheUpdateContinuesOnTheUpdatedPair() throws Exception {
    List<TaggedEvent> events = events();
    Map<String, SentenceAnalysis> onB = reference(elmoB, headsB, false, events);

    var first = harness(elmoA, headsA, false);
    first.open();
    for (int i = 0; i < BEFORE; i++) {
      first.processElement1(events.get(i), events.get(i).event.eventTime);
    }
    first.processElement2(update("u1", elmoB, headsB, HEADS_PLAIN_ID), 0);
    OperatorSubtaskState snapshot = first.snapshot(1, 1);
    first.close();

    // Restarted with the flags the job was started with (pair A), and with pair B as the flags.
    for (Path[] flags : new Path[][] {{elmoA, headsA}, {elmoB, headsB}}) {
      var second = harness(flags[0], flags[1], false);
      second.initializeState(snapshot);
      second.open();
      assertThat(op(second).servingModelIds())
          .containsExactly("elmo-b/weights.hdf5", HEADS_PLAIN_ID);
      for (int i = BEFORE; i < events.size(); i++) {
        second.processElement1(events.get(i), events.get(i).event.eventTime);
      }
      second.processWatermark1(new Watermark(Long.MAX_VALUE));
      List<SentenceAnalysis> out = outputs(second);
      // "then it" was open in the snapshot; it closes after the restore, on pair B.
      assertThat(out).extracting(ElmoSwapTest::key).containsExactlyInAnyOrder("b#1", "a#1", "b#2");
      for (SentenceAnalysis s : out) {
        assertSame(s, onB.get(key(s)));
      }
      second.close();
    }

    // A snapshot taken after the restore still names pair B as installed by the update.
    var third = harness(elmoA, headsA, false);
    third.initializeState(snapshot);
    third.open();
    OperatorSubtaskState again = third.snapshot(2, 2);
    third.close();
    var fourth = harness(elmoA, headsA, false);
    fourth.initializeState(again);
    fourth.open();
    assertThat(op(fourth).servingModelIds()).containsExactly("elmo-b/weights.hdf5", HEADS_PLAIN_ID);
    fourth.close();
  }

  @Test
  void aStatefulUpdateRestartsEveryStreamsLstmStateOnTheNewPair() throws Exception {
    List<TaggedEvent> events = events();
    // On the new pair each stream's sentences after the update run from a zero state: the same as
    // a fresh stateful run of pair B over those events alone.
    Map<String, SentenceAnalysis> onBFresh =
        reference(elmoB, headsB, true, events.subList(BEFORE, events.size()));

    var h = harness(elmoA, headsA, true);
    h.open();
    for (int i = 0; i < BEFORE; i++) {
      h.processElement1(events.get(i), events.get(i).event.eventTime);
    }
    h.processElement2(update("u1", elmoB, headsB, HEADS_PLAIN_ID), 0);
    assertThat(op(h).storedLstmState("a")).isNull();
    assertThat(op(h).storedLstmState("b")).isNull();
    for (int i = BEFORE; i < events.size(); i++) {
      h.processElement1(events.get(i), events.get(i).event.eventTime);
    }
    h.processWatermark1(new Watermark(Long.MAX_VALUE));
    List<SentenceAnalysis> after = outputs(h).subList(2, 5);
    h.close();
    // The fresh run numbers sentences from the events it saw: compare in order per stream.
    List<SentenceAnalysis> fresh = new ArrayList<>(onBFresh.values());
    fresh.sort(
        java.util.Comparator.comparing((SentenceAnalysis s) -> s.getStreamId())
            .thenComparing(SentenceAnalysis::getSentenceIndex));
    List<SentenceAnalysis> sorted = new ArrayList<>(after);
    sorted.sort(
        java.util.Comparator.comparing((SentenceAnalysis s) -> s.getStreamId())
            .thenComparing(SentenceAnalysis::getSentenceIndex));
    assertThat(sorted).hasSize(3);
    assertThat(fresh).hasSize(3);
    // Stream a's first sentence after the update began before it ("then it"): the fresh run
    // only saw "slept all day ."; compare stream b's sentences, which lie wholly after it.
    for (int i = 0; i < 3; i++) {
      if (sorted.get(i).getStreamId().equals("b")) {
        assertSame(sorted.get(i), fresh.get(i));
      }
    }
  }
}
