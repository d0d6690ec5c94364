package dev.rillet.segment;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rillet.avro.TextEvent;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.api.java.typeutils.PojoTypeInfo;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.streaming.api.operators.KeyedProcessOperator;
import org.apache.flink.streaming.util.KeyedOneInputStreamOperatorTestHarness;
import org.junit.jupiter.api.Test;

class SegmenterOperatorTest {
  static final Duration GAP = Duration.ofSeconds(10);
  static final Duration TTL = Duration.ofSeconds(60);

  private static KeyedOneInputStreamOperatorTestHarness<String, TextEvent, SegmentedEvent> harness()
      throws Exception {
    KeyedOneInputStreamOperatorTestHarness<String, TextEvent, SegmentedEvent> h =
        new KeyedOneInputStreamOperatorTestHarness<>(
            new KeyedProcessOperator<>(new Segmenter(GAP, 50, TTL)),
            TextEvent::getStreamId,
            Types.STRING);
    h.setup();
    return h;
  }

  static TextEvent event(String stream, long seq, long time, String text, boolean eos) {
    return TextEvent.newBuilder()
        .setStreamId(stream)
        .setSeq(seq)
        .setEventTime(time)
        .setText(text)
        .setEndOfStream(eos)
        .build();
  }

  static void send(
      KeyedOneInputStreamOperatorTestHarness<String, TextEvent, SegmentedEvent> h, TextEvent e)
      throws Exception {
    h.processElement(e, e.getEventTime());
  }

  private static long[] counts(
      KeyedOneInputStreamOperatorTestHarness<String, TextEvent, SegmentedEvent> h) {
    return ((Segmenter) ((KeyedProcessOperator<?, ?, ?>) h.getOperator()).getUserFunction())
        .counts();
  }

  @Test
  void outputTypesArePojosAndTheStateHasItsOwnSerializer() {
    assertThat(TypeInformation.of(SegmentedEvent.class)).isInstanceOf(PojoTypeInfo.class);
    assertThat(TypeInformation.of(SegmentedToken.class)).isInstanceOf(PojoTypeInfo.class);
    assertThat(TypeInformation.of(SegmenterState.class)).isInstanceOf(PojoTypeInfo.class);
    assertThat(new Segmenter(GAP, 50, TTL).stateDescriptor().getSerializer())
        .isSameAs(SegmenterStateSerializer.INSTANCE);
  }

  @Test
  void emitsTokensWithPositionsAndSentenceEnds() throws Exception {
    try (var h = harness()) {
      h.open();
      send(h, event("a", 1, 1000, "Hello world. How", false));
      send(h, event("a", 2, 2000, "are you?", false));
      send(h, event("a", 2, 2500, "are you?", false)); // duplicate
      List<SegmentedEvent> out = h.extractOutputValues();
      assertThat(out).hasSize(2);
      assertThat(out.get(0).streamId).isEqualTo("a");
      assertThat(out.get(0).freshStream).isTrue();
      assertThat(out.get(0).tokens)
          .extracting(t -> t.text + "@" + t.position + "/" + t.sentenceIndex + "|" + t.sentenceEnd)
          .containsExactly("Hello@0/0|null", "world@1/0|null", ".@2/0|TERMINATOR", "How@3/1|null");
      assertThat(out.get(1).tokens)
          .extracting(t -> t.text + "@" + t.position + "/" + t.sentenceIndex + "|" + t.sentenceEnd)
          .containsExactly("are@4/1|null", "you@5/1|null", "?@6/1|TERMINATOR");
      assertThat(counts(h)).containsExactly(1L, 0L, 2L);
    }
  }

  @Test
  void watermarkPastTheGapClosesTheSentence() throws Exception {
    try (var h = harness()) {
      h.open();
      send(h, event("a", 1, 1000, "No terminal yet", false));
      h.processWatermark(1000 + GAP.toMillis() - 1);
      assertThat(h.extractOutputValues()).hasSize(1);
      h.processWatermark(1000 + GAP.toMillis());
      List<SegmentedEvent> out = h.extractOutputValues();
      assertThat(out).hasSize(2);
      SegmentedEvent marker = out.get(1);
      assertThat(marker.isCloseMarker()).isTrue();
      assertThat(marker.closedBefore).isEqualTo(SentenceEnd.IDLE_GAP);
      assertThat(marker.closedSentenceIndex).isZero();
      assertThat(marker.eventTime).isEqualTo(1000 + GAP.toMillis());
      assertThat(marker.expired).isFalse();

      // The next event starts sentence 1 and closes nothing more.
      send(h, event("a", 2, 1000 + GAP.toMillis() + 5, "Next", false));
      SegmentedEvent next = h.extractOutputValues().get(2);
      assertThat(next.closedBefore).isNull();
      assertThat(next.tokens[0].sentenceIndex).isEqualTo(1L);
    }
  }

  @Test
  void ttlExpiryEmitsAnExpiredMarkerAndReleasesState() throws Exception {
    try (var h = harness()) {
      h.open();
      send(h, event("a", 1, 0, "Done.", false));
      h.processWatermark(TTL.toMillis());
      List<SegmentedEvent> out = h.extractOutputValues();
      assertThat(out).hasSize(2);
      assertThat(out.get(1).expired).isTrue();
      assertThat(out.get(1).closedBefore).isNull();
      assertThat(out.get(1).eventTime).isEqualTo(TTL.toMillis());
      assertThat(h.numKeyedStateEntries()).isZero();
      assertThat(counts(h)[1]).isEqualTo(1L);

      send(h, event("a", 1, TTL.toMillis() + 10, "Again", false));
      SegmentedEvent again = h.extractOutputValues().get(2);
      assertThat(again.freshStream).isTrue();
      assertThat(again.tokens[0].position).isZero();
      // One timer per stream, at its earliest deadline: the new event's idle gap.
      assertThat(h.numEventTimeTimers()).isEqualTo(1);
    }
  }

  @Test
  void eventsDoNotMoveTheTimerAndAnEarlyTimerChainsToTheDeadline() throws Exception {
    try (var h = harness()) {
      h.open();
      for (int i = 0; i < 5; i++) {
        send(h, event("a", i + 1, i * 1_000L, "word", false));
      }
      // The first event's idle timer is still the only one: later events did not move it.
      assertThat(h.numEventTimeTimers()).isEqualTo(1);
      // It fires at 10 s, finds the gap not yet over (last event at 4 s) and moves to 14 s.
      h.processWatermark(GAP.toMillis());
      assertThat(h.extractOutputValues()).hasSize(5);
      assertThat(h.numEventTimeTimers()).isEqualTo(1);
      h.processWatermark(4_000 + GAP.toMillis());
      SegmentedEvent close = h.extractOutputValues().get(5);
      assertThat(close.closedBefore).isEqualTo(SentenceEnd.IDLE_GAP);
      assertThat(close.eventTime).isEqualTo(4_000 + GAP.toMillis());
      // Now the TTL is the only deadline left.
      assertThat(h.numEventTimeTimers()).isEqualTo(1);
    }
  }

  @Test
  void aWatermarkPastEveryDeadlineEmitsTheCloseThenTheExpiryAtTheirOwnTimes() throws Exception {
    try (var h = harness()) {
      h.open();
      send(h, event("a", 1, 0, "open", false));
      send(h, event("a", 2, 5_000, "still open", false));
      h.processWatermark(Long.MAX_VALUE - 1);
      List<SegmentedEvent> out = h.extractOutputValues();
      assertThat(out).hasSize(4);
      assertThat(out.get(2).closedBefore).isEqualTo(SentenceEnd.IDLE_GAP);
      assertThat(out.get(2).eventTime).isEqualTo(5_000 + GAP.toMillis());
      assertThat(out.get(3).expired).isTrue();
      assertThat(out.get(3).eventTime).isEqualTo(5_000 + TTL.toMillis());
      assertThat(h.numKeyedStateEntries()).isZero();
      assertThat(h.numEventTimeTimers()).isZero();
    }
  }

  @Test
  void endOfStreamReleasesStateAndTimers() throws Exception {
    try (var h = harness()) {
      h.open();
      send(h, event("a", 1, 0, "open", false));
      send(h, event("a", 2, 10, "", true));
      assertThat(h.extractOutputValues().get(1).closedBefore).isEqualTo(SentenceEnd.END_OF_STREAM);
      assertThat(h.numKeyedStateEntries()).isZero();
      assertThat(h.numEventTimeTimers()).isZero();
    }
  }

  /** Events of two streams, interleaved, with a watermark step in the middle. */
  static final List<TextEvent> EVENTS =
      List.of(
          event("a", 1, 1_000, "The first stream", false),
          event("b", 1, 1_500, "Other stream. It", false),
          event("a", 2, 2_000, "goes on. And on", false),
          event("b", 2, 30_000, "resumes late", false),
          event("a", 3, 31_000, "after a pause.", false),
          event("b", 3, 32_000, "and ends.", true),
          event("a", 4, 33_000, "Last words", true));

  static List<SegmentedEvent> runUninterrupted(List<TextEvent> events) throws Exception {
    return run(events, null, true);
  }

  /**
   * Runs the events of {@code onlyStream} (all when null) through one harness; when {@code
   * watermarks}, the watermark follows every event of the list, sent or not, as one source would.
   */
  private static List<SegmentedEvent> run(
      List<TextEvent> events, String onlyStream, boolean watermarks) throws Exception {
    try (var h = harness()) {
      h.open();
      for (TextEvent e : events) {
        if (onlyStream == null || onlyStream.equals(e.getStreamId())) {
          send(h, e);
        }
        if (watermarks) {
          h.processWatermark(e.getEventTime() - 500);
        }
      }
      return h.extractOutputValues();
    }
  }

  private static List<Sentences.Sentence> sentences(List<SegmentedEvent> out) {
    Sentences s = new Sentences();
    s.acceptAll(out);
    return s.closed();
  }

  private static Map<String, List<SegmentedEvent>> byStream(List<SegmentedEvent> out) {
    return out.stream().collect(Collectors.groupingBy(e -> e.streamId));
  }

  @Test
  void snapshotAndRestoreMidSentenceGivesTheSameResult() throws Exception {
    List<SegmentedEvent> expected = runUninterrupted(EVENTS);
    for (int cut = 1; cut < EVENTS.size(); cut++) {
      List<SegmentedEvent> got = new ArrayList<>();
      OperatorSubtaskState snapshot;
      try (var first = harness()) {
        first.open();
        for (TextEvent e : EVENTS.subList(0, cut)) {
          send(first, e);
          first.processWatermark(e.getEventTime() - 500);
        }
        snapshot = first.snapshot(1L, 1L);
        got.addAll(first.extractOutputValues());
      }
      try (var second = harness()) {
        second.initializeState(snapshot);
        second.open();
        for (TextEvent e : EVENTS.subList(cut, EVENTS.size())) {
          send(second, e);
          second.processWatermark(e.getEventTime() - 500);
        }
        got.addAll(second.extractOutputValues());
      }
      assertThat(got).as("cut after %d events", cut).isEqualTo(expected);
    }
  }

  @Test
  void streamsAreIsolated() throws Exception {
    Map<String, List<SegmentedEvent>> together = byStream(runUninterrupted(EVENTS));
    for (String stream : List.of("a", "b")) {
      // Same watermarks: exactly the same outputs.
      assertThat(run(EVENTS, stream, true)).as(stream).isEqualTo(together.get(stream));
      // The stream alone with no watermark at all: the same sentences, closed by events instead.
      List<TextEvent> alone = EVENTS.stream().filter(e -> e.getStreamId().equals(stream)).toList();
      assertThat(sentences(run(alone, null, false)))
          .as(stream)
          .isEqualTo(sentences(together.get(stream)))
          .isNotEmpty();
    }
    // The late event of b closed its sentence by the idle gap (via watermark or event).
    assertThat(together.get("b"))
        .anySatisfy(e -> assertThat(e.closedBefore).isEqualTo(SentenceEnd.IDLE_GAP));
  }
}
