package dev.rillet.jobs.pipeline;

import dev.rillet.avro.TextEvent;
import org.apache.flink.api.common.accumulators.ListAccumulator;
import org.apache.flink.api.common.accumulators.LongCounter;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.streaming.api.functions.KeyedProcessFunction;
import org.apache.flink.util.Collector;

/**
 * Keyed by streamId, over the decoded input of a backfill: looks at each stream's first event read
 * and counts the streams whose state the run rebuilds from their start, and those it cannot.
 *
 * <ul>
 *   <li>{@link #STREAMS}: streams read.
 *   <li>{@link #WARMED}: streams whose first event read has seq 0 and lies in the warm-up (before
 *       {@code from}): their state at {@code from} is rebuilt from their start.
 *   <li>{@link #OLDER}: streams whose first event read has seq above 0: they started before the
 *       warm-up (or continue after a restart the run cannot see), so their outputs may differ from
 *       the live job's; up to {@link #MAX_IDS} ids per subtask in {@link #OLDER_IDS}.
 * </ul>
 *
 * Emits nothing.
 */
final class StreamCensus extends KeyedProcessFunction<String, TextEvent, Void> {
  private static final long serialVersionUID = 1L;

  static final String STREAMS = "streams";
  static final String WARMED = "streamsWarmed";
  static final String OLDER = "streamsOlderThanWarmup";
  static final String OLDER_IDS = "streamsOlderThanWarmupIds";
  static final int MAX_IDS = 20;

  private final long from;
  private transient ValueState<Boolean> seen;
  private transient LongCounter streams;
  private transient LongCounter warmed;
  private transient LongCounter older;
  private transient ListAccumulator<String> olderIds;

  StreamCensus(long from) {
    this.from = from;
  }

  @Override
  public void open(OpenContext openContext) {
    seen = getRuntimeContext().getState(new ValueStateDescriptor<>("seen", Types.BOOLEAN));
    streams = new LongCounter();
    warmed = new LongCounter();
    older = new LongCounter();
    olderIds = new ListAccumulator<>();
    getRuntimeContext().addAccumulator(STREAMS, streams);
    getRuntimeContext().addAccumulator(WARMED, warmed);
    getRuntimeContext().addAccumulator(OLDER, older);
    getRuntimeContext().addAccumulator(OLDER_IDS, olderIds);
  }

  @Override
  public void processElement(TextEvent event, Context ctx, Collector<Void> out) throws Exception {
    if (seen.value() != null) {
      return;
    }
    seen.update(Boolean.TRUE);
    streams.add(1L);
    if (event.getSeq() > 0) {
      older.add(1L);
      if (older.getLocalValue() <= MAX_IDS) {
        olderIds.add(event.getStreamId());
      }
    } else if (event.getEventTime() < from) {
      warmed.add(1L);
    }
  }
}
