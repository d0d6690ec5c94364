package dev.rillet.jobs.pipeline;

import java.util.List;
import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.configuration.ConfigOptions;

/**
 * Options about the job's durable state (where checkpoints and savepoints go, which backend holds
 * keyed state, where to restore from) and its metrics endpoint. Their keys are command-line flags
 * of {@code rillet live}.
 */
public final class StateOptions {
  private StateOptions() {}

  /** The keyed state backends a run can choose. */
  public enum Backend {
    /** Keyed state as Java objects on the heap: fastest, bounded by the heap. */
    HASHMAP,
    /** Keyed state in embedded RocksDB on local disk: many streams, incremental checkpoints. */
    ROCKSDB;

    /** The value of Flink's {@code state.backend.type} and of the flag. */
    @Override
    public String toString() {
      return name().toLowerCase(java.util.Locale.ROOT);
    }
  }

  public static final ConfigOption<String> STATE_DIR =
      ConfigOptions.key("state-dir")
          .stringType()
          .defaultValue("./rillet-state/")
          .withDescription(
              "Directory of the job's durable state: checkpoints/ (the latest completed one is"
                  + " kept when the job stops or is killed) and savepoints/ (written on SIGTERM,"
                  + " Ctrl-C and --stop-when-idle). Starting again with the same directory resumes"
                  + " from the latest completed checkpoint or savepoint in it.");

  public static final ConfigOption<Backend> STATE_BACKEND =
      ConfigOptions.key("state-backend")
          .enumType(Backend.class)
          .defaultValue(Backend.HASHMAP)
          .withDescription(
              "Where keyed state (hidden states, open sentences) lives: hashmap (JVM heap) or"
                  + " rocksdb (local disk, incremental checkpoints; for more streams than fit the"
                  + " heap). Rillet's savepoints (canonical format) restore into either; a"
                  + " checkpoint only into the backend that wrote it.");

  public static final ConfigOption<Boolean> FRESH =
      ConfigOptions.key("fresh")
          .booleanType()
          .defaultValue(false)
          .withDescription(
              "Start over on purpose: ignore the checkpoints and savepoints in the state"
                  + " directory and read the input from --starting-offsets with empty state."
                  + " Outputs of earlier runs may then be written again downstream.");

  public static final ConfigOption<String> FROM_SAVEPOINT =
      ConfigOptions.key("from-savepoint")
          .stringType()
          .noDefaultValue()
          .withDescription(
              "A savepoint or retained checkpoint to restore from (its directory, holding"
                  + " _metadata). Without it a local run resumes from the latest one in the state"
                  + " directory.");

  public static final ConfigOption<Integer> METRICS_PORT =
      ConfigOptions.key("metrics-port")
          .intType()
          .defaultValue(0)
          .withDescription(
              "Serve the job's metrics (Flink's and the operators') for Prometheus at"
                  + " http://HOST:PORT/metrics. 0 serves none.");

  /** Every state option, in the order --help lists them. */
  public static List<ConfigOption<?>> all() {
    return List.of(STATE_DIR, STATE_BACKEND, FRESH, FROM_SAVEPOINT, METRICS_PORT);
  }
}
