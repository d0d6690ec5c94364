package dev.rillet.jobs.pipeline;

import org.apache.flink.configuration.CheckpointingOptions;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.ExecutionOptions;
import org.apache.flink.configuration.ExternalizedCheckpointRetention;
import org.apache.flink.configuration.StateBackendOptions;
import org.apache.flink.configuration.StateRecoveryOptions;
import org.apache.flink.core.execution.CheckpointingMode;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;

/**
 * The Flink environment every Rillet job runs in: checkpointing on, no Kryo fallback, the network
 * buffer timeout of {@link PipelineOptions#BUFFER_TIMEOUT}.
 */
public final class LiveEnvironment {
  private LiveEnvironment() {}

  /** The Prometheus reporter's factory (flink-metrics-prometheus). */
  static final String PROMETHEUS_FACTORY =
      "org.apache.flink.metrics.prometheus.PrometheusReporterFactory";

  /**
   * The execution environment for the given options: a local MiniCluster when run from the jar, the
   * cluster's when submitted with {@code flink run}. Checkpoints stay in memory and vanish with the
   * job; {@link #create(Configuration, Configuration)} with {@link #durableState} keeps them.
   */
  public static StreamExecutionEnvironment create(Configuration options) {
    return create(options, new Configuration());
  }

  /**
   * As {@link #create(Configuration)}, with {@code flinkSettings} (Flink configuration keys, e.g.
   * from {@link #durableState} and {@link #prometheus}) added to the environment's configuration;
   * on a local run they configure the MiniCluster too.
   */
  public static StreamExecutionEnvironment create(
      Configuration options, Configuration flinkSettings) {
    Configuration flink = new Configuration();
    // Every type on the wire and in state has an explicit serializer; fail loudly otherwise.
    flink.set(org.apache.flink.configuration.PipelineOptions.GENERIC_TYPES, false);
    flink.set(ExecutionOptions.BUFFER_TIMEOUT, options.get(PipelineOptions.BUFFER_TIMEOUT));
    flink.addAll(flinkSettings);
    StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(flink);
    env.setParallelism(options.get(PipelineOptions.PARALLELISM));
    env.enableCheckpointing(
        options.get(PipelineOptions.CHECKPOINT_INTERVAL).toMillis(),
        CheckpointingMode.EXACTLY_ONCE);
    return env;
  }

  /**
   * Flink settings for state that outlives the process: checkpoints and savepoints in {@code dir},
   * the latest checkpoint kept when the job is cancelled (and, being on disk, when the process is
   * killed), the keyed state backend {@code backend} (RocksDB with incremental checkpoints), and a
   * restore from {@code restoreFrom} (a path or URI) when it is not null.
   */
  public static Configuration durableState(
      StateDirectory dir, StateOptions.Backend backend, String restoreFrom) {
    Configuration flink = new Configuration();
    flink.set(StateBackendOptions.STATE_BACKEND, backend.toString());
    flink.set(CheckpointingOptions.CHECKPOINT_STORAGE, "filesystem");
    flink.set(CheckpointingOptions.CHECKPOINTS_DIRECTORY, dir.checkpoints().toUri().toString());
    flink.set(CheckpointingOptions.SAVEPOINT_DIRECTORY, dir.savepoints().toUri().toString());
    flink.set(
        CheckpointingOptions.EXTERNALIZED_CHECKPOINT_RETENTION,
        ExternalizedCheckpointRetention.RETAIN_ON_CANCELLATION);
    flink.set(
        CheckpointingOptions.INCREMENTAL_CHECKPOINTS, backend == StateOptions.Backend.ROCKSDB);
    if (restoreFrom != null) {
      flink.set(StateRecoveryOptions.SAVEPOINT_PATH, restoreFrom);
    }
    return flink;
  }

  /** Flink settings for a Prometheus endpoint on {@code port} (all interfaces). */
  public static Configuration prometheus(int port) {
    Configuration flink = new Configuration();
    flink.setString("metrics.reporter.prom.factory.class", PROMETHEUS_FACTORY);
    flink.setString("metrics.reporter.prom.port", Integer.toString(port));
    return flink;
  }
}
