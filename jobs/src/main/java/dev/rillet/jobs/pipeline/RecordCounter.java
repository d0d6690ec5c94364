package dev.rillet.jobs.pipeline;

import dev.rillet.kafka.KafkaInputRecord;
import org.apache.flink.api.common.accumulators.LongCounter;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.functions.RichMapFunction;

/** Passes input records through unchanged, counting them in the accumulator {@link #RECORDS_IN}. */
final class RecordCounter extends RichMapFunction<KafkaInputRecord, KafkaInputRecord> {
  private static final long serialVersionUID = 1L;

  static final String RECORDS_IN = "recordsIn";

  private transient LongCounter count;

  @Override
  public void open(OpenContext openContext) {
    count = new LongCounter();
    getRuntimeContext().addAccumulator(RECORDS_IN, count);
  }

  @Override
  public KafkaInputRecord map(KafkaInputRecord record) {
    count.add(1L);
    return record;
  }
}
