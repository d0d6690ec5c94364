package dev.rillet.jobs.cluster;

import dev.rillet.jobs.cli.Command;
import dev.rillet.jobs.cli.CommandContext;
import java.time.Duration;
import java.util.List;
import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.configuration.Configuration;

/**
 * {@code rillet stop}: stops a job on a Flink cluster with a savepoint (prints its path), or
 * cancels it with {@code --cancel}.
 */
public final class StopCommand implements Command {
  private static final Duration SAVEPOINT_TIMEOUT = Duration.ofMinutes(5);

  @Override
  public String name() {
    return "stop";
  }

  @Override
  public String summary() {
    return "Stop a job on a Flink cluster with a savepoint (or cancel it), to resume later.";
  }

  @Override
  public List<ConfigOption<?>> options() {
    return List.of(
        ClusterOptions.JOBMANAGER,
        ClusterOptions.JOB,
        ClusterOptions.CANCEL,
        ClusterOptions.SAVEPOINT_DIR);
  }

  @Override
  public int run(CommandContext context, Configuration conf) throws Exception {
    if (!conf.contains(ClusterOptions.JOBMANAGER)) {
      throw new IllegalArgumentException(
          "--jobmanager is required: the REST address of the cluster (e.g. localhost:8081)");
    }
    FlinkRestClient rest = new FlinkRestClient(conf.get(ClusterOptions.JOBMANAGER));
    String job = conf.get(ClusterOptions.JOB);
    if (job == null) {
      List<String> active = rest.activeJobs();
      if (active.size() != 1) {
        throw new IllegalArgumentException(
            "--job is required: the cluster runs "
                + (active.isEmpty() ? "no job" : active.size() + " jobs " + active));
      }
      job = active.get(0);
    }
    if (conf.get(ClusterOptions.CANCEL)) {
      rest.cancel(job);
      context
          .out()
          .println(
              "cancelled job " + job + " (no savepoint; its latest retained checkpoint stays)");
      return 0;
    }
    String savepoint;
    try {
      savepoint =
          rest.stopWithSavepoint(job, conf.get(ClusterOptions.SAVEPOINT_DIR), SAVEPOINT_TIMEOUT);
    } catch (IllegalStateException e) {
      context
          .err()
          .println(
              "rillet stop: "
                  + e.getMessage()
                  + "\nThe job keeps running. If it is recovering from a failure (see "
                  + rest.address()
                  + "/#/job/running/"
                  + job
                  + "), try again once all its tasks run; --cancel stops it without a savepoint.");
      return 1;
    }
    context.out().println("stopped job " + job + " with savepoint " + savepoint);
    context
        .out()
        .println(
            "resume: ./rillet live --jobmanager "
                + conf.get(ClusterOptions.JOBMANAGER)
                + " --from-savepoint "
                + savepoint
                + " [the job's other options]");
    return 0;
  }
}
