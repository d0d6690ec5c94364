package dev.rillet.segment;

import dev.rillet.avro.TextEvent;
import dev.rillet.tokenize.WordTokenizer;
import java.time.Duration;
import org.apache.flink.annotation.PublicEvolving;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeinfo.TypeInformation;
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
 * for the exact rules). Each stream keeps at most one pending timer of each kind: the previous ones
 * are deleted when an event moves the deadlines, and a timer whose deadline has moved anyway does
 * nothing because the segmenter checks deadlines against the state.
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
    // Validates the arguments now, at job construction, rather than on the task manager.
    new SentenceSegmenter(new WordTokenizer(), idleGap, maxSentenceTokens, ttl);
    this.idleGap = idleGap;
    this.maxSentenceTokens = maxSentenceTokens;
    this.ttl = ttl;
  }

  /** The state descriptor, POJO-typed so the state is never serialized by Kryo. */
  static ValueStateDescriptor<SegmenterState> stateDescriptor() {
    return new ValueStateDescriptor<>("segmenter", TypeInformation.of(SegmenterState.class));
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
    long oldIdle = segmenter.idleDeadline(state);
    long oldExpiry = segmenter.expiryDeadline(state);
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
    TimerService timers = ctx.timerService();
    moveTimer(timers, oldIdle, segmenter.idleDeadline(state));
    moveTimer(timers, oldExpiry, segmenter.expiryDeadline(state));
    store(state);
  }

  @Override
  public void onTimer(long timestamp, OnTimerContext ctx, Collector<SegmentedEvent> out)
      throws Exception {
    SegmenterState state = stateHandle.value();
    if (state == null) {
      return;
    }
    segmenter.onTime(
        state,
        ctx.getCurrentKey(),
        timestamp,
        marker -> {
          if (marker.expired) {
            evictions.inc();
          }
          emit(marker, out);
        });
    // A fired timer is gone; re-register the remaining deadline (a no-op if already registered).
    long idleAt = segmenter.idleDeadline(state);
    if (idleAt != Long.MAX_VALUE) {
      ctx.timerService().registerEventTimeTimer(idleAt);
    }
    long expireAt = segmenter.expiryDeadline(state);
    if (expireAt != Long.MAX_VALUE) {
      ctx.timerService().registerEventTimeTimer(expireAt);
    }
    store(state);
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

  private static void moveTimer(TimerService timers, long from, long to) {
    if (from == to) {
      return;
    }
    if (from != Long.MAX_VALUE) {
      timers.deleteEventTimeTimer(from);
    }
    if (to != Long.MAX_VALUE) {
      timers.registerEventTimeTimer(to);
    }
  }

  private void store(SegmenterState state) throws Exception {
    if (state.active) {
      stateHandle.update(state);
    } else {
      stateHandle.clear();
    }
  }
}
