package dev.rillet.segment;

import static dev.rillet.segment.SegmenterOperatorTest.EVENTS;
import static dev.rillet.segment.SegmenterOperatorTest.GAP;
import static dev.rillet.segment.SegmenterOperatorTest.TTL;
import static dev.rillet.segment.SegmenterOperatorTest.send;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.rillet.avro.TextEvent;
import dev.rillet.testutils.StateBackends;
import java.util.ArrayList;
import java.util.List;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.api.common.typeutils.TypeSerializer;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.streaming.api.operators.KeyedProcessOperator;
import org.apache.flink.streaming.util.KeyedOneInputStreamOperatorTestHarness;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * State that Rillet wrote before {@link SegmenterStateSerializer}, with Flink's POJO serializer,
 * restores into today's segmenter on either backend, and the streams go on as if never stopped.
 */
class SegmenterStateMigrationTest {
  private static KeyedOneInputStreamOperatorTestHarness<String, TextEvent, SegmentedEvent> harness(
      StateBackends backend, TypeSerializer<SegmenterState> serializer) throws Exception {
    var h =
        backend.on(
            new KeyedOneInputStreamOperatorTestHarness<>(
                new KeyedProcessOperator<>(new Segmenter(GAP, 50, TTL, serializer)),
                TextEvent::getStreamId,
                Types.STRING));
    h.setup();
    return h;
  }

  private static void feed(
      KeyedOneInputStreamOperatorTestHarness<String, TextEvent, SegmentedEvent> h,
      List<TextEvent> events)
      throws Exception {
    for (TextEvent e : events) {
      send(h, e);
      h.processWatermark(e.getEventTime() - 500);
    }
  }

  /**
   * For every cut: the events before it on a segmenter that writes POJO state, a checkpoint, a
   * restore into today's segmenter and at once another checkpoint, which is in the compact layout
   * (the POJO serializer refuses it, the compact one reads it), then the rest of the events.
   */
  @ParameterizedTest
  @EnumSource(StateBackends.class)
  void pojoStateRestoresAndIsRewrittenInTheCompactLayout(StateBackends backend) throws Exception {
    List<SegmentedEvent> expected = SegmenterOperatorTest.runUninterrupted(EVENTS);
    TypeSerializer<SegmenterState> pojo = SegmenterStateSerializerTest.pojoSerializer();
    for (int cut = 1; cut < EVENTS.size(); cut++) {
      List<SegmentedEvent> got = new ArrayList<>();
      OperatorSubtaskState old;
      try (var before = harness(backend, pojo)) {
        before.open();
        feed(before, EVENTS.subList(0, cut));
        old = before.snapshot(1L, 1L);
        got.addAll(before.extractOutputValues());
      }
      OperatorSubtaskState migrated;
      try (var restored = harness(backend, SegmenterStateSerializer.INSTANCE)) {
        restored.initializeState(old);
        restored.open();
        assertThat(restored.numEventTimeTimers()).as("timers").isPositive();
        migrated = restored.snapshot(2L, 2L);
      }
      // The POJO serializer cannot take it back: the checkpoint names the compact layout.
      try (var pojoAgain = harness(backend, pojo)) {
        pojoAgain.initializeState(migrated);
        assertThatThrownBy(pojoAgain::open).hasStackTraceContaining("incompatible");
      }
      try (var after = harness(backend, SegmenterStateSerializer.INSTANCE)) {
        after.initializeState(migrated);
        after.open();
        feed(after, EVENTS.subList(cut, EVENTS.size()));
        got.addAll(after.extractOutputValues());
      }
      assertThat(got).as("%s, cut after %d events", backend, cut).isEqualTo(expected);
    }
  }
}
