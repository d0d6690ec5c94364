package dev.rillet.jobs.pipeline;

import java.io.Serializable;
import org.apache.flink.streaming.api.datastream.DataStream;

/**
 * What every output stream of the pipeline passes through between its last operator and its Kafka
 * sink. The live job passes everything ({@link #NONE}); a backfill cuts off the outputs of its
 * warm-up records and counts what it writes. Keeping this the only difference is what makes a
 * backfill run exactly the live job's operators.
 */
public interface OutputGate extends Serializable {
  /** Lets every record through unchanged (the live job). */
  OutputGate NONE =
      new OutputGate() {
        private static final long serialVersionUID = 1L;

        @Override
        public <T> DataStream<T> apply(DataStream<T> stream, String topic) {
          return stream;
        }
      };

  /**
   * Returns the stream to write to {@code topic} in place of {@code stream}.
   *
   * @param topic the Kafka topic the returned stream will be written to
   */
  <T> DataStream<T> apply(DataStream<T> stream, String topic);
}
