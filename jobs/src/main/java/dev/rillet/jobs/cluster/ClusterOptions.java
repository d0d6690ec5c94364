package dev.rillet.jobs.cluster;

import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.configuration.ConfigOptions;

/** Options of the commands that run Rillet on a Flink cluster; their keys are the flags. */
public final class ClusterOptions {
  private ClusterOptions() {}

  public static final ConfigOption<String> JOBMANAGER =
      ConfigOptions.key("jobmanager")
          .stringType()
          .noDefaultValue()
          .withDescription(
              "REST address (host:port) of a Flink session cluster's JobManager. The job jar is"
                  + " submitted there, detached, instead of running in this process;"
                  + " ./rillet cluster start runs such a cluster at localhost:8081.");

  public static final ConfigOption<String> JOB =
      ConfigOptions.key("job")
          .stringType()
          .noDefaultValue()
          .withDescription(
              "Id of the job to stop, as `./rillet live --jobmanager` printed it (also in the web"
                  + " UI). May be left out when the cluster runs exactly one job.");

  public static final ConfigOption<Boolean> CANCEL =
      ConfigOptions.key("cancel")
          .booleanType()
          .defaultValue(false)
          .withDescription(
              "Cancel the job without a savepoint (its latest retained checkpoint stays).");

  public static final ConfigOption<String> SAVEPOINT_DIR =
      ConfigOptions.key("savepoint-dir")
          .stringType()
          .noDefaultValue()
          .withDescription(
              "Where the savepoint goes; default: the cluster's"
                  + " execution.checkpointing.savepoint-dir (./rillet cluster sets"
                  + " <cluster-dir>/savepoints).");

  public static final ConfigOption<String> CLUSTER_DIR =
      ConfigOptions.key("cluster-dir")
          .stringType()
          .defaultValue("rillet-cluster")
          .withDescription(
              "Folder of the local cluster: its config, logs, checkpoints, savepoints and the"
                  + " PIDs of its processes.");

  public static final ConfigOption<Integer> TASKMANAGERS =
      ConfigOptions.key("taskmanagers")
          .intType()
          .defaultValue(2)
          .withDescription(
              "TaskManager processes to start. On a cluster that is already running, this many"
                  + " are added.");

  public static final ConfigOption<Integer> SLOTS =
      ConfigOptions.key("slots")
          .intType()
          .defaultValue(2)
          .withDescription("Task slots per TaskManager.");

  public static final ConfigOption<Integer> REST_PORT =
      ConfigOptions.key("rest-port")
          .intType()
          .defaultValue(8081)
          .withDescription("Port of the JobManager's REST API and web UI (on 127.0.0.1).");

  public static final ConfigOption<Integer> RPC_PORT =
      ConfigOptions.key("rpc-port")
          .intType()
          .defaultValue(6123)
          .withDescription("Port of the JobManager's RPC endpoint (on 127.0.0.1).");
}
