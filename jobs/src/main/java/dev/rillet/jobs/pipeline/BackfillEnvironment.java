package dev.rillet.jobs.pipeline;

import java.time.Duration;
import org.apache.flink.api.common.RuntimeExecutionMode;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.ExecutionOptions;
import org.apache.flink.configuration.HeartbeatManagerOptions;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;

/**
 * The Flink environment of a backfill: BATCH runtime mode (bounded input, no checkpoints, the Kafka
 * sinks commit at the end of input), set up so the live job's operators see what they see live.
 *
 * <ul>
 *   <li>No sorted inputs: BATCH mode would otherwise sort each keyed operator's input by key and
 *       record timestamp, i.e. by eventTime, while the live job sees each stream in arrival
 *       (offset) order. The segmenter drops events whose seq is not above the last one, so the
 *       order decides which events count; without the sort each stream keeps its arrival order.
 *   <li>The ordinary (heap) keyed state backend, not the batch one that keeps only the current
 *       key's state: the recurrent tagger bundles several streams and switches keys in a flush.
 * </ul>
 */
public final class BackfillEnvironment {
  private BackfillEnvironment() {}

  public static StreamExecutionEnvironment create(Configuration options) {
    Configuration flink = new Configuration();
    flink.set(org.apache.flink.configuration.PipelineOptions.GENERIC_TYPES, false);
    flink.set(ExecutionOptions.RUNTIME_MODE, RuntimeExecutionMode.BATCH);
    flink.set(ExecutionOptions.SORT_INPUTS, false);
    flink.set(ExecutionOptions.USE_BATCH_STATE_BACKEND, false);
    // Accumulators (the progress counts) reach the client with task heartbeats: send them often.
    flink.set(HeartbeatManagerOptions.HEARTBEAT_INTERVAL, Duration.ofSeconds(1));
    StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(flink);
    env.setParallelism(options.get(PipelineOptions.PARALLELISM));
    return env;
  }
}
