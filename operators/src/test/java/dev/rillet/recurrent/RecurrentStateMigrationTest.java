package dev.rillet.recurrent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.rillet.segment.SegmentedEvent;
import dev.rillet.testutils.StateBackends;
import dev.rillet.testutils.TestModels;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.flink.api.common.typeutils.TypeSerializer;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.streaming.util.KeyedOneInputStreamOperatorTestHarness;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * State that Rillet wrote in {@link RecurrentState}'s layout 1 restores into today's tagger on
 * either backend exactly (every float), is written in layout 2 from then on, and the streams go on
 * as if never stopped.
 */
class RecurrentStateMigrationTest {
  private static final Path GRU = TestModels.get("test-gru");

  private static final List<SegmentedEvent> EVENTS =
      List.of(
          TaggerHarness.event("a", 0, 0, true, List.of("i", "like")),
          TaggerHarness.event("b", 0, 0, true, List.of("so", "bad")),
          TaggerHarness.event("a", 1, 2, false, List.of("this", "film")),
          TaggerHarness.event("b", 1, 2, false, List.of("really", ".")));

  private static KeyedOneInputStreamOperatorTestHarness<String, SegmentedEvent, TaggedEvent> tagger(
      StateBackends backend, TypeSerializer<RecurrentState> serializer) throws Exception {
    return TaggerHarness.create(GRU, 3, 64, serializer, backend);
  }

  private static void feed(
      KeyedOneInputStreamOperatorTestHarness<String, SegmentedEvent, TaggedEvent> h,
      List<SegmentedEvent> events)
      throws Exception {
    for (SegmentedEvent e : events) {
      h.processElement(e, 0);
    }
  }

  @ParameterizedTest
  @EnumSource(StateBackends.class)
  void layout1StateRestoresExactlyAndIsRewrittenInLayout2(StateBackends backend) throws Exception {
    var whole = tagger(backend, RecurrentStateSerializer.INSTANCE);
    whole.open();
    feed(whole, EVENTS);
    TaggerHarness.tagger(whole).finish();
    List<TaggedEvent> expected = TaggerHarness.outputs(whole);
    whole.close();

    List<TaggedEvent> got = new ArrayList<>();
    var before = tagger(backend, RecurrentStateSerializerV1.INSTANCE);
    before.open();
    feed(before, EVENTS.subList(0, 2));
    before.prepareSnapshotPreBarrier(1);
    OperatorSubtaskState old = before.snapshot(1, 1);
    got.addAll(TaggerHarness.outputs(before));
    RecurrentState a = TaggerHarness.tagger(before).storedState("a");
    RecurrentState b = TaggerHarness.tagger(before).storedState("b");
    before.close();

    var restored = tagger(backend, RecurrentStateSerializer.INSTANCE);
    restored.initializeState(old);
    restored.open();
    assertThat(TaggerHarness.tagger(restored).storedState("a")).isEqualTo(a);
    assertThat(TaggerHarness.tagger(restored).storedState("b")).isEqualTo(b);
    restored.prepareSnapshotPreBarrier(2);
    OperatorSubtaskState migrated = restored.snapshot(2, 2);
    restored.close();

    // The layout 1 serializer cannot take it back: the checkpoint names layout 2.
    var layout1Again = tagger(backend, RecurrentStateSerializerV1.INSTANCE);
    layout1Again.initializeState(migrated);
    assertThatThrownBy(layout1Again::open).hasStackTraceContaining("incompatible");
    // The model was loaded before the state was refused: give its shared session back (the
    // operator's own close; the harness's would first finish the never-opened bundle).
    TaggerHarness.tagger(layout1Again).close();

    var after = tagger(backend, RecurrentStateSerializer.INSTANCE);
    after.initializeState(migrated);
    after.open();
    feed(after, EVENTS.subList(2, EVENTS.size()));
    TaggerHarness.tagger(after).finish();
    got.addAll(TaggerHarness.outputs(after));
    assertThat(TaggerHarness.tagger(after).storedState("a").nextPosition).isEqualTo(4);
    after.close();

    assertThat(got).hasSize(EVENTS.size()).usingRecursiveComparison().isEqualTo(expected);
  }
}
