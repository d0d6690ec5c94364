package dev.rillet.segment;

import dev.rillet.avro.TextEvent;
import dev.rillet.tokenize.WordTokenizer;
import java.time.Duration;
import org.apache.flink.annotation.PublicEvolving;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeutils.TypeSerializer;
import org.apache.flink.metrics.Counter;
import org.apache.flink.streaming.api.TimerService;
import org.apache.flink.streaming.api.functions.KeyedProcessFunction;
import org.apache.flink.util.Collector;

/**
 * Keyed by streamId: drops duplicate and old events, tokenizes, numbers tokens and finds sentence
 * ends with a {@link SentenceSegmenter}, keeping each stream's {@link SegmenterState} in keyed
 * state.
 *
 * <p>Event-time timers drive the idle-gap close and the TTL expiry (see {@link SentenceSegmenter}
 * for the exact rules). A stream keeps one pending timer, at or before its earliest deadline, and
 * an event does not move it: deadlines only move later as events come, so a timer that fires early
 * finds nothing due and is registered again at the deadline as it is then. Moving timers on every
 * event cost four timer operations per event (two deletes, two registrations), each a RocksDB write
 * with the RocksDB backend, and a second timer entry per stream; now an event costs none unless it
 * brings a deadline forward (a sentence opening), and a stream's deadline chain costs about one
 * registration per idle gap. Where the timer is is kept in {@link SegmenterState#timerAt}.
 *
 * <p>Metrics on the operator's metric group: counters {@code droppedDuplicates}, {@code evictions}
 * (streams released by TTL) and {@code sentences} (sentences closed, for any reason).
 */
@PublicEvolving
public final class Segmenter extends KeyedProcessFunction<String, TextEvent, SegmentedEvent> {
  private static final long serialVersionUID = 1L;

  private final Duration idleGap;
  private final int maxSentenceTokens;
  private final Duration ttl;

  /** {@link SegmenterStateSerializer}, or the POJO serializer of before in migration tests. */
  private final TypeSerializer<SegmenterState> stateSerializer;

  private transient SentenceSegmenter segmenter;
  private transient ValueState<SegmenterState> stateHandle;
  private transient Counter droppedDuplicates;
  private transient Counter evictions;
  private transient Counter sentences;

  /**
   * @param idleGap a sentence closes when its stream is idle for longer than this (event time)
   * @param maxSentenceTokens a sentence closes when it reaches this many tokens
   * @param ttl a stream idle for longer than this (event time) has its state released
   */
  public Segmenter(Duration idleGap, int maxSentenceTokens, Duration ttl) {
    this(idleGap, maxSentenceTokens, ttl, SegmenterStateSerializer.INSTANCE);
  }

  /**
   * With another serializer of the state: tests pass Flink's POJO serializer to write state as
   * Rillet did before {@link SegmenterStateSerializer}.
   */
  Segmenter(
      Duration idleGap,
      int maxSentenceTokens,
      Duration ttl,
      TypeSerializer<SegmenterState> stateSerializer) {
    // Validates the arguments now, at job construction, rather than on the task manager.
    new SentenceSegmenter(new WordTokenizer(), idleGap, maxSentenceTokens, ttl);
    this.idleGap = idleGap;
    this.maxSentenceTokens = maxSentenceTokens;
    this.ttl = ttl;
    this.stateSerializer = stateSerializer;
  }

  /**
   * The state descriptor, with the compact {@link SegmenterStateSerializer} (never Kryo); state
   * that Flink's POJO serializer wrote, before it, is migrated on restore.
   */
  ValueStateDescriptor<SegmenterState> stateDescriptor() {
    return new ValueStateDescriptor<>("segmenter", stateSerializer);
  }

  @Override
  public void open(OpenContext openContext) {
    segmenter = new SentenceSegmenter(new WordTokenizer(), idleGap, maxSentenceTokens, ttl);
    stateHandle = getRuntimeContext().getState(stateDescriptor());
    droppedDuplicates = getRuntimeContext().getMetricGroup().counter("droppedDuplicates");
    evictions = getRuntimeContext().getMetricGroup().counter("evictions");
    sentences = getRuntimeContext().getMetricGroup().counter("sentences");
  }

  @Override
  public void processElement(TextEvent event, Context ctx, Collector<SegmentedEvent> out)
      throws Exception {
    SegmenterState state = stateHandle.value();
    if (state == null) {
      state = new SegmenterState();
    }
    boolean wasActive = state.active;
    long pendingTimer = state.timerAt;
    SegmentedEvent result =
        segmenter.onEvent(
            state,
            ctx.getCurrentKey(),
            event.getSeq(),
            event.getEventTime(),
            event.getText(),
            event.getEndOfStream());
    if (result == null) {
      droppedDuplicates.inc();
      return;
    }
    if (wasActive && result.freshStream) {
      evictions.inc();
    }
    emit(result, out);
    if (pendingTimer != SegmenterState.NO_TIMER && state.timerAt != pendingTimer) {
      // The event released the stream (end of stream, or expiry found by the event): the timer
      // stood for deadlines that are gone.
      ctx.timerService().deleteEventTimeTimer(pendingTimer);
    }
    scheduleEarliestDeadline(state, ctx.timerService());
    store(state);
  }

  @Override
  public void onTimer(long timestamp, OnTimerContext ctx, Collector<SegmentedEvent> out)
      throws Exception {
    SegmenterState state = stateHandle.value();
    if (state == null) {
      return;
    }
    if (timestamp == state.timerAt) {
      state.timerAt = SegmenterState.NO_TIMER;
    }
    // Everything due by the watermark being reached, not only by this timer: a deadline that the
    // early timer stood in for may already be behind it.
    long now = Math.max(timestamp, ctx.timerService().currentWatermark());
    segmenter.onTime(
        state,
        ctx.getCurrentKey(),
        now,
        marker -> {
          if (marker.expired) {
            evictions.inc();
          }
          emit(marker, out);
        });
    scheduleEarliestDeadline(state, ctx.timerService());
    store(state);
  }

  /**
   * Registers a timer at the stream's earliest deadline unless one is pending at or before it (one
   * that fires early schedules the next). A timer from before {@link SegmenterState#timerAt}
   * existed, or one superseded by an earlier deadline, fires like an early one: harmlessly.
   */
  private void scheduleEarliestDeadline(SegmenterState state, TimerService timers) {
    if (!state.active) {
      return;
    }
    long due = Math.min(segmenter.idleDeadline(state), segmenter.expiryDeadline(state));
    if (due < state.timerAt) {
      timers.registerEventTimeTimer(due);
      state.timerAt = due;
    }
  }

  /** The metric counters' values, in order droppedDuplicates, evictions, sentences (for tests). */
  long[] counts() {
    return new long[] {droppedDuplicates.getCount(), evictions.getCount(), sentences.getCount()};
  }

  private void emit(SegmentedEvent e, Collector<SegmentedEvent> out) {
    if (e.closedBefore != null) {
      sentences.inc();
    }
    for (SegmentedToken t : e.tokens) {
      if (t.sentenceEnd != null) {
        sentences.inc();
      }
    }
    out.collect(e);
  }

  private void store(SegmenterState state) throws Exception {
    if (state.active) {
      stateHandle.update(state);
    } else {
      stateHandle.clear();
    }
  }
}
