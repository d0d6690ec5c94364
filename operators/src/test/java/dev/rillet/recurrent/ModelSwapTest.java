package dev.rillet.recurrent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.rillet.avro.ModelUpdate;
import dev.rillet.avro.ModelUpdatePolicy;
import dev.rillet.avro.ModelUpdateTarget;
import dev.rillet.segment.SegmentedEvent;
import dev.rillet.testutils.TestModels;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.runtime.execution.SuppressRestartsException;
import org.apache.flink.streaming.api.watermark.Watermark;
import org.apache.flink.streaming.util.KeyedTwoInputStreamOperatorTestHarness;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Model updates on the tagger's control input, checked record by record against references computed
 * from each policy's definition with plain one-model runs:
 *
 * <ul>
 *   <li>RESET: a stream's outputs before the update equal a run of the old model; from its next
 *       event on they equal a fresh run of the new model over the tokens after the switch;
 *   <li>DRAIN: a stream that started before the update equals a run of the old model to its end; a
 *       stream that starts after it equals a run of the new model.
 *   <li>REPLAY: a stream's outputs after the switch equal a run of the new model over its last N
 *       tokens before the switch followed by its tokens after it.
 * </ul>
 */
class ModelSwapTest {
  private static final Path GRU = TestModels.get("test-gru");
  private static final Path LSTM = TestModels.get("test-lstm");
  private static final Path RNN = TestModels.get("test-rnn");

  private static final String GRU_ID = "test-gru@1.0.0";

  @TempDir Path tmp;

  private static SegmentedEvent ev(String stream, long seq, long pos, String... tokens) {
    return TaggerHarness.event(stream, seq, pos, pos == 0, List.of(tokens));
  }

  private static SegmentedEvent eos(String stream, long seq, long pos, String... tokens) {
    SegmentedEvent e = ev(stream, seq, pos, tokens);
    e.endOfStream = true;
    return e;
  }

  private static KeyedTwoInputStreamOperatorTestHarness<
          String, SegmentedEvent, ModelUpdate, TaggedEvent>
      harness(Path model) throws Exception {
    return harness(model, 0);
  }

  private static KeyedTwoInputStreamOperatorTestHarness<
          String, SegmentedEvent, ModelUpdate, TaggedEvent>
      harness(Path model, int replayTokens) throws Exception {
    RecurrentTagger tagger =
        RecurrentTagger.builder()
            .modelDir(model)
            .replayTokens(replayTokens)
            .maxBundleTokens(1000)
            .maxBatchSize(64)
            .maxDelay(Duration.ofMillis(50))
            .build();
    // The control input is broadcast, not keyed: no key selector for it.
    return new KeyedTwoInputStreamOperatorTestHarness<>(
        tagger, e -> e.streamId, null, Types.STRING);
  }

  private static RecurrentTagger tagger(
      KeyedTwoInputStreamOperatorTestHarness<String, SegmentedEvent, ModelUpdate, TaggedEvent> h) {
    return (RecurrentTagger) h.getOperator();
  }

  private static ModelUpdate update(String id, Path dir, String modelId, ModelUpdatePolicy policy) {
    return ModelUpdate.newBuilder()
        .setUpdateId(id)
        .setCreatedAt(1_700_000_000_000L)
        .setModelId(modelId)
        .setPackageDir(dir.toAbsolutePath().toString())
        .setPolicy(policy)
        .build();
  }

  /** What {@code model} alone makes of {@code events}, each stream's state from zero. */
  private static List<TaggedEvent> reference(Path model, List<SegmentedEvent> events)
      throws Exception {
    var h = TaggerHarness.open(model, 1000, 64);
    for (SegmentedEvent e : events) {
      h.processElement(e, 0);
    }
    TaggerHarness.tagger(h).finish();
    List<TaggedEvent> out = TaggerHarness.outputs(h);
    h.close();
    return out;
  }

  private static String modelIdOf(Path model) throws Exception {
    return reference(model, List.of(ev("x", 0, 0, "x"))).get(0).modelId;
  }

  private static List<TaggedEvent> drain(
      KeyedTwoInputStreamOperatorTestHarness<String, SegmentedEvent, ModelUpdate, TaggedEvent> h) {
    List<TaggedEvent> out = new ArrayList<>(h.extractOutputValues());
    h.getOutput().clear();
    return out;
  }

  private static Map<String, List<TaggedEvent>> byStream(List<TaggedEvent> out) {
    return out.stream().collect(Collectors.groupingBy(t -> t.event.streamId));
  }

  private static void assertSameTags(TaggedEvent actual, TaggedEvent expected) {
    assertThat(actual.event.seq).isEqualTo(expected.event.seq);
    assertThat(actual.modelId).isEqualTo(expected.modelId);
    assertThat(actual.tags).containsExactly(expected.tags);
    assertThat(actual.tagProbabilities).containsExactly(expected.tagProbabilities, within(1e-5f));
    assertThat(actual.sentimentProbabilities)
        .containsExactly(expected.sentimentProbabilities, within(1e-5f));
  }

  @Test
  void resetMovesEveryStreamAtItsNextEventToAFreshRunOfTheNewModel() throws Exception {
    String lstmId = modelIdOf(LSTM);
    List<SegmentedEvent> before =
        List.of(ev("a", 0, 0, "the", "cat"), ev("b", 0, 0, "a", "dog"), ev("a", 1, 2, "sat"));
    List<SegmentedEvent> after =
        List.of(
            ev("a", 2, 3, "on", "the", "mat"),
            ev("b", 1, 2, "barked", "."),
            ev("c", 0, 0, "new", "stream"),
            ev("a", 3, 6, "today"));

    var h = harness(GRU);
    h.open();
    before.forEach(e -> process(h, e));
    // The update arrives with "a"'s second event still in the bundle: it is tagged by the GRU.
    h.processElement2(update("u1", LSTM, lstmId, ModelUpdatePolicy.RESET), 0);
    List<TaggedEvent> first = drain(h);
    assertThat(tagger(h).activeModelId()).isEqualTo(lstmId);
    assertThat(tagger(h).drainingModelIds()).isEmpty();
    after.forEach(e -> process(h, e));
    tagger(h).finish();
    List<TaggedEvent> second = drain(h);
    h.close();

    List<TaggedEvent> expectedBefore = reference(GRU, before);
    assertThat(first).hasSize(3);
    for (int i = 0; i < 3; i++) {
      assertSameTags(first.get(i), expectedBefore.get(i));
      assertThat(first.get(i).modelSwitched).isFalse();
    }
    // After the switch: what a fresh LSTM makes of the tokens after the switch, stream by stream.
    Map<String, List<TaggedEvent>> expected = byStream(reference(LSTM, after));
    Map<String, List<TaggedEvent>> actual = byStream(second);
    for (String stream : List.of("a", "b", "c")) {
      assertThat(actual.get(stream)).hasSameSizeAs(expected.get(stream));
      for (int i = 0; i < expected.get(stream).size(); i++) {
        assertSameTags(actual.get(stream).get(i), expected.get(stream).get(i));
      }
    }
    // Marked: the first event of a stream that had GRU state; not a new stream, not later events.
    assertThat(actual.get("a")).extracting(t -> t.modelSwitched).containsExactly(true, false);
    assertThat(actual.get("b")).extracting(t -> t.modelSwitched).containsExactly(true);
    assertThat(actual.get("c")).extracting(t -> t.modelSwitched).containsExactly(false);
    // Positions continue: "a" had consumed 3 tokens on the GRU.
    assertThat(actual.get("a")).extracting(t -> t.tokensSeen).containsExactly(6L, 7L);
  }

  @Test
  void aCheckpointBetweenTheUpdateAndTheNextEventRestoresOnTheNewModel() throws Exception {
    String lstmId = modelIdOf(LSTM);
    List<SegmentedEvent> after = List.of(ev("a", 1, 2, "on", "the", "mat"), ev("a", 2, 5, "!"));

    // Uninterrupted.
    var whole = harness(GRU);
    whole.open();
    process(whole, ev("a", 0, 0, "the", "cat"));
    whole.processElement2(update("u1", LSTM, lstmId, ModelUpdatePolicy.RESET), 0);
    after.forEach(e -> process(whole, e));
    tagger(whole).finish();
    List<TaggedEvent> expected = drain(whole);
    whole.close();

    // The same with a checkpoint right after the update, restored into a job started with the
    // same --model (a failover, or a restart with the unchanged command line).
    var first = harness(GRU);
    first.open();
    process(first, ev("a", 0, 0, "the", "cat"));
    first.processElement2(update("u1", LSTM, lstmId, ModelUpdatePolicy.RESET), 0);
    first.prepareSnapshotPreBarrier(1);
    OperatorSubtaskState snapshot = first.snapshot(1, 1);
    List<TaggedEvent> out = drain(first);
    first.close();

    for (Path model : List.of(GRU, LSTM)) {
      var second = harness(model);
      second.initializeState(snapshot);
      second.open();
      assertThat(tagger(second).activeModelId()).isEqualTo(lstmId);
      after.forEach(e -> process(second, e));
      tagger(second).finish();
      List<TaggedEvent> restored = new ArrayList<>(out);
      restored.addAll(drain(second));
      second.close();
      assertThat(restored).hasSameSizeAs(expected);
      for (int i = 0; i < expected.size(); i++) {
        assertSameTags(restored.get(i), expected.get(i));
        assertThat(restored.get(i).modelSwitched).isEqualTo(expected.get(i).modelSwitched);
      }
    }

    // A third model is neither the state's nor the job's start model: refused, naming the update.
    var other = harness(RNN);
    other.initializeState(snapshot);
    assertThatThrownBy(other::open)
        .isInstanceOf(SuppressRestartsException.class)
        .cause()
        .isInstanceOf(RestoredModelMismatchException.class)
        .hasMessageContaining("written by model " + lstmId)
        .hasMessageContaining("installed by model update u1")
        .hasMessageContaining("or of " + GRU_ID);
  }

  @Test
  void aFailureAfterTheUpdateBeforeTheNextCheckpointReplaysTheUpdateFromTheCheckpointBefore()
      throws Exception {
    String lstmId = modelIdOf(LSTM);
    ModelUpdate update = update("u1", LSTM, lstmId, ModelUpdatePolicy.RESET);
    List<SegmentedEvent> after = List.of(ev("a", 1, 2, "on", "the", "mat"), ev("b", 0, 0, "hi"));

    var first = harness(GRU);
    first.open();
    process(first, ev("a", 0, 0, "the", "cat"));
    first.prepareSnapshotPreBarrier(1);
    OperatorSubtaskState beforeUpdate = first.snapshot(1, 1);
    drain(first);
    // The update and more events, then the task fails before the next checkpoint: these outputs
    // are never committed (the sinks commit with checkpoints).
    first.processElement2(update, 0);
    after.forEach(e -> process(first, e));
    tagger(first).finish();
    List<TaggedEvent> failedAttempt = drain(first);
    first.close();

    // The restart restores the checkpoint before the update: the GRU serves, and the sources
    // replay the update and the events after that checkpoint.
    var second = harness(GRU);
    second.initializeState(beforeUpdate);
    second.open();
    assertThat(tagger(second).activeModelId()).isEqualTo(GRU_ID);
    second.processElement2(update, 0);
    after.forEach(e -> process(second, e));
    tagger(second).finish();
    List<TaggedEvent> replayed = drain(second);
    second.close();

    assertThat(replayed).hasSameSizeAs(failedAttempt);
    for (int i = 0; i < replayed.size(); i++) {
      assertSameTags(replayed.get(i), failedAttempt.get(i));
      assertThat(replayed.get(i).modelSwitched).isEqualTo(failedAttempt.get(i).modelSwitched);
    }
    assertThat(replayed).extracting(t -> t.modelId).containsOnly(lstmId);
  }

  @Test
  void aStateWithoutUpdatesIsStillRefusedByAnotherModel() throws Exception {
    var gru = harness(GRU);
    gru.open();
    process(gru, ev("a", 0, 0, "i", "like"));
    gru.prepareSnapshotPreBarrier(1);
    OperatorSubtaskState snapshot = gru.snapshot(1, 1);
    gru.close();

    var lstm = harness(LSTM);
    lstm.initializeState(snapshot);
    assertThatThrownBy(lstm::open)
        .cause()
        .isInstanceOf(RestoredModelMismatchException.class)
        .hasMessageContaining("written by model " + GRU_ID)
        .hasMessageNotContaining("model update");
  }

  @Test
  void anInvalidPackageIsRefusedAndTheOldModelKeepsServing() throws Exception {
    Path broken = TestModels.copy(LSTM, tmp.resolve("broken"));
    Path manifest = broken.resolve("manifest.json");
    String json = Files.readString(manifest, StandardCharsets.UTF_8);
    Files.writeString(
        manifest, json.replaceFirst("\"hidden\": *\\d+", "\"hidden\": 7"), StandardCharsets.UTF_8);
    String lstmId = modelIdOf(LSTM);
    List<SegmentedEvent> events =
        List.of(ev("a", 0, 0, "the", "cat"), ev("a", 1, 2, "sat"), ev("a", 2, 3, "down"));

    var h = harness(GRU);
    h.open();
    process(h, events.get(0));
    h.processElement2(update("broken", broken, lstmId, ModelUpdatePolicy.RESET), 0);
    process(h, events.get(1));
    h.processElement2(
        update("missing", tmp.resolve("nowhere"), lstmId, ModelUpdatePolicy.RESET), 0);
    // A sound package that is not the model the update names (the folder changed since).
    h.processElement2(update("other", RNN, lstmId, ModelUpdatePolicy.RESET), 0);
    h.processElement2(update("replay", LSTM, lstmId, ModelUpdatePolicy.REPLAY), 0);
    // An update for the sentence stage's ELMo is none of the tagger's business: not refused.
    ModelUpdate elmo =
        update(
            "elmo",
            TestModels.get("test-elmo-heads"),
            "test-elmo-heads@1.0.0",
            ModelUpdatePolicy.RESET);
    elmo.setTarget(ModelUpdateTarget.ELMO);
    h.processElement2(elmo, 0);
    process(h, events.get(2));
    tagger(h).finish();
    List<TaggedEvent> out = drain(h);
    assertThat(tagger(h).modelUpdatesRefused()).isEqualTo(4);
    assertThat(tagger(h).activeModelId()).isEqualTo(GRU_ID);
    h.close();

    List<TaggedEvent> expected = reference(GRU, events);
    assertThat(out).hasSameSizeAs(expected);
    for (int i = 0; i < expected.size(); i++) {
      assertSameTags(out.get(i), expected.get(i));
    }
  }

  @Test
  void drainKeepsRunningStreamsOnTheOldModelUntilTheyEnd() throws Exception {
    String lstmId = modelIdOf(LSTM);
    var h = harness(GRU);
    h.open();
    process(h, ev("a", 0, 0, "the", "cat"));
    process(h, ev("b", 0, 0, "a", "dog"));
    h.processElement2(update("u1", LSTM, lstmId, ModelUpdatePolicy.DRAIN), 0);
    assertThat(tagger(h).activeModelId()).isEqualTo(lstmId);
    assertThat(tagger(h).drainingModelIds()).containsExactly(GRU_ID);
    assertThat(tagger(h).streamsOn(GRU_ID)).isEqualTo(2);
    // One bundle holding streams of both models.
    process(h, ev("a", 1, 2, "sat", "on"));
    process(h, ev("c", 0, 0, "new", "stream"));
    process(h, eos("b", 1, 2, "barked"));
    h.processWatermark1(new Watermark(10));
    assertThat(tagger(h).streamsOn(GRU_ID)).isEqualTo(1);
    assertThat(tagger(h).streamsOn(lstmId)).isEqualTo(1);

    // A checkpoint while draining restores both models and each stream's.
    h.prepareSnapshotPreBarrier(1);
    OperatorSubtaskState snapshot = h.snapshot(1, 1);
    List<TaggedEvent> out = drain(h);
    h.close();
    var r = harness(GRU);
    r.initializeState(snapshot);
    r.open();
    assertThat(tagger(r).activeModelId()).isEqualTo(lstmId);
    assertThat(tagger(r).drainingModelIds()).containsExactly(GRU_ID);
    process(r, eos("a", 2, 4, "the", "mat"));
    process(r, ev("c", 1, 2, "goes", "on"));
    // A new stream under an old id starts on the new model.
    process(r, ev("b", 0, 0, "a", "dog"));
    tagger(r).finish();
    out.addAll(drain(r));
    // "a" ended: nothing is left on the GRU, so it is released.
    assertThat(tagger(r).drainingModelIds()).isEmpty();
    assertThat(tagger(r).streamsOn(GRU_ID)).isZero();
    assertThat(tagger(r).streamsOn(lstmId)).isEqualTo(2);
    r.close();

    Map<String, List<TaggedEvent>> actual = byStream(out);
    List<TaggedEvent> gruA =
        reference(
            GRU,
            List.of(
                ev("a", 0, 0, "the", "cat"),
                ev("a", 1, 2, "sat", "on"),
                eos("a", 2, 4, "the", "mat")));
    List<TaggedEvent> gruB =
        reference(GRU, List.of(ev("b", 0, 0, "a", "dog"), eos("b", 1, 2, "barked")));
    List<TaggedEvent> lstmC =
        reference(LSTM, List.of(ev("c", 0, 0, "new", "stream"), ev("c", 1, 2, "goes", "on")));
    List<TaggedEvent> lstmB = reference(LSTM, List.of(ev("b", 0, 0, "a", "dog")));
    assertThat(actual.get("a")).hasSize(3);
    for (int i = 0; i < 3; i++) {
      assertSameTags(actual.get("a").get(i), gruA.get(i));
    }
    assertThat(actual.get("b")).hasSize(3);
    assertSameTags(actual.get("b").get(0), gruB.get(0));
    assertSameTags(actual.get("b").get(1), gruB.get(1));
    assertSameTags(actual.get("b").get(2), lstmB.get(0));
    assertThat(actual.get("c")).hasSize(2);
    for (int i = 0; i < 2; i++) {
      assertSameTags(actual.get("c").get(i), lstmC.get(i));
    }
    assertThat(out).noneMatch(t -> t.modelSwitched);
  }

  @Test
  void resetAfterDrainMovesTheDrainingStreamsToo() throws Exception {
    String lstmId = modelIdOf(LSTM);
    String rnnId = modelIdOf(RNN);
    var h = harness(GRU);
    h.open();
    process(h, ev("a", 0, 0, "the", "cat"));
    h.processElement2(update("u1", LSTM, lstmId, ModelUpdatePolicy.DRAIN), 0);
    h.processElement2(update("u2", RNN, rnnId, ModelUpdatePolicy.RESET), 0);
    assertThat(tagger(h).drainingModelIds()).isEmpty();
    process(h, ev("a", 1, 2, "sat"));
    tagger(h).finish();
    List<TaggedEvent> out = drain(h);
    h.close();
    TaggedEvent moved = out.get(1);
    assertThat(moved.modelSwitched).isTrue();
    assertSameTags(moved, reference(RNN, List.of(ev("a", 1, 2, "sat"))).get(0));
  }

  @Test
  void replayRebuildsEachStreamFromItsLastTokensOnTheNewModel() throws Exception {
    String lstmId = modelIdOf(LSTM);
    List<SegmentedEvent> before =
        List.of(
            ev("a", 0, 0, "the", "cat"),
            ev("a", 1, 2, "sat", "on", "the"),
            ev("b", 0, 0, "a", "dog"));
    List<SegmentedEvent> after = List.of(ev("a", 2, 5, "mat", "today"), ev("b", 1, 2, "barked"));

    // Uninterrupted, and with a checkpoint between the update and the next events.
    for (boolean restore : new boolean[] {false, true}) {
      var h = harness(GRU, 4);
      h.open();
      before.forEach(e -> process(h, e));
      h.processElement2(update("u1", LSTM, lstmId, ModelUpdatePolicy.REPLAY), 0);
      var live = h;
      if (restore) {
        h.prepareSnapshotPreBarrier(1);
        OperatorSubtaskState snapshot = h.snapshot(1, 1);
        h.close();
        live = harness(GRU, 4);
        live.initializeState(snapshot);
        live.open();
      }
      drain(live);
      var run = live;
      after.forEach(e -> process(run, e));
      tagger(live).finish();
      Map<String, List<TaggedEvent>> actual = byStream(drain(live));
      live.close();

      // "a": its last 4 tokens (cat sat on the), then the new event, through a fresh LSTM.
      TaggedEvent a =
          reference(
                  LSTM,
                  List.of(ev("a", 1, 0, "cat", "sat", "on", "the"), ev("a", 2, 4, "mat", "today")))
              .get(1);
      // "b" had only 2 tokens.
      TaggedEvent b =
          reference(LSTM, List.of(ev("b", 0, 0, "a", "dog"), ev("b", 1, 2, "barked"))).get(1);
      assertSameTags(actual.get("a").get(0), a);
      assertSameTags(actual.get("b").get(0), b);
      assertThat(actual.get("a").get(0).modelSwitched).isTrue();
      assertThat(actual.get("a").get(0).tokensSeen).isEqualTo(7);
    }
  }

  @Test
  void theControlInputTakesNoPartInEventTime() throws Exception {
    var h = harness(GRU);
    h.open();
    process(h, ev("a", 0, 0, "hello"));
    // No watermark ever comes on the control input; the data input's passes alone.
    h.processWatermark1(new Watermark(20));
    assertThat(h.getOutput()).contains(new Watermark(20));
    h.close();
  }

  private static void process(
      KeyedTwoInputStreamOperatorTestHarness<String, SegmentedEvent, ModelUpdate, TaggedEvent> h,
      SegmentedEvent e) {
    try {
      h.processElement1(e, 0);
    } catch (Exception x) {
      throw new IllegalStateException(x);
    }
  }
}
