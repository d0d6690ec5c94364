package dev.rillet.jobs.live;

import org.apache.flink.configuration.Configuration;
import org.apache.flink.core.execution.CheckpointingMode;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;

/** The Flink environment every Rillet job runs in: checkpointing on, no Kryo fallback. */
public final class LiveEnvironment {
  private LiveEnvironment() {}

  /**
   * The execution environment for the given options: a local MiniCluster when run from the jar, the
   * cluster's when submitted with {@code flink run}.
   */
  public static StreamExecutionEnvironment create(Configuration options) {
    Configuration flink = new Configuration();
    // Every type on the wire and in state has an explicit serializer; fail loudly otherwise.
    flink.set(org.apache.flink.configuration.PipelineOptions.GENERIC_TYPES, false);
    StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(flink);
    env.setParallelism(options.get(PipelineOptions.PARALLELISM));
    env.enableCheckpointing(
        options.get(PipelineOptions.CHECKPOINT_INTERVAL).toMillis(),
        CheckpointingMode.EXACTLY_ONCE);
    return env;
  }
}
