package dev.rillet.jobs.cluster;

import dev.rillet.jobs.cli.Command;
import dev.rillet.jobs.cli.CommandContext;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.configuration.Configuration;

/**
 * {@code rillet cluster start|status|stop}: a {@link LocalCluster} of real Flink processes on this
 * machine. {@code start} on a cluster that is already running adds TaskManagers to it.
 */
public final class ClusterCommand implements Command {
  private static final Duration READY_TIMEOUT = Duration.ofMinutes(3);

  /** The three actions, each its own two-word command. */
  public enum Action {
    START(
        "Start a Flink session cluster on this machine (a JobManager and TaskManagers, real"
            + " processes bound to 127.0.0.1), or add TaskManagers to the running one."),
    STATUS("Print the local cluster's processes: role, pid, address, metrics port, log."),
    STOP("Stop the local cluster's processes by their PIDs.");

    private final String summary;

    Action(String summary) {
      this.summary = summary;
    }
  }

  private final Action action;

  public ClusterCommand(Action action) {
    this.action = action;
  }

  @Override
  public String name() {
    return "cluster " + action.name().toLowerCase();
  }

  @Override
  public String summary() {
    return action.summary;
  }

  @Override
  public List<ConfigOption<?>> options() {
    return action == Action.START
        ? List.of(
            ClusterOptions.TASKMANAGERS,
            ClusterOptions.SLOTS,
            ClusterOptions.CLUSTER_DIR,
            ClusterOptions.REST_PORT,
            ClusterOptions.RPC_PORT)
        : List.of(ClusterOptions.CLUSTER_DIR);
  }

  @Override
  public int run(CommandContext context, Configuration conf) throws Exception {
    LocalCluster cluster = local(Path.of(conf.get(ClusterOptions.CLUSTER_DIR)));
    switch (action) {
      case START -> start(cluster, conf, context.out());
      case STATUS -> {
        List<String> lines = cluster.status();
        if (lines.isEmpty()) {
          context.out().println("no cluster recorded in " + cluster.home());
          return 1;
        }
        lines.forEach(context.out()::println);
      }
      case STOP -> {
        List<LocalCluster.Member> stopped = cluster.stop();
        if (stopped.isEmpty()) {
          context.out().println("nothing to stop: no running cluster process in " + cluster.home());
        }
        for (LocalCluster.Member m : stopped) {
          context.out().println("stopped " + m.role() + " pid " + m.pid());
        }
      }
    }
    return 0;
  }

  private static void start(LocalCluster cluster, Configuration conf, PrintStream out)
      throws Exception {
    int taskManagers = conf.get(ClusterOptions.TASKMANAGERS);
    int slots = conf.get(ClusterOptions.SLOTS);
    if (taskManagers < 0 || slots < 1) {
      throw new IllegalArgumentException("--taskmanagers must be >= 0 and --slots >= 1");
    }
    boolean adding = cluster.jobManager().isPresent();
    long start = System.nanoTime();
    List<LocalCluster.Member> started =
        cluster.start(
            taskManagers,
            slots,
            new LocalCluster.Ports(
                conf.get(ClusterOptions.REST_PORT), conf.get(ClusterOptions.RPC_PORT)),
            READY_TIMEOUT);
    long millis = (System.nanoTime() - start) / 1_000_000;
    for (LocalCluster.Member m : started) {
      out.println("started " + m.role() + " pid " + m.pid() + ", log " + m.log());
    }
    String rest = cluster.restAddress().orElseThrow();
    FlinkRestClient.Overview o = new FlinkRestClient(rest).overview();
    out.printf(
        "%s: %d TaskManagers, %d slots (%d free), ready after %d ms%n",
        adding ? "added to the cluster" : "cluster ready",
        o.taskManagers(),
        o.slotsTotal(),
        o.slotsAvailable(),
        millis);
    out.println("web UI and REST: http://" + rest);
    out.println("checkpoints: " + cluster.checkpoints());
    out.println("savepoints:  " + cluster.savepoints());
    out.println("submit:      ./rillet live --jobmanager " + rest + " --bootstrap-servers ...");
    out.println("stop:        ./rillet cluster stop");
  }

  /** The cluster in {@code home}, run from this installation's jars and config. */
  static LocalCluster local(Path home) {
    Path installation = installation();
    return new LocalCluster(
        home,
        installation.resolve("cluster/target/lib"),
        installation.resolve("cluster/conf/config.yaml"));
  }

  /** The Rillet installation: {@code $RILLET_HOME} (set by ./rillet), else the working folder. */
  static Path installation() {
    String home = System.getenv("RILLET_HOME");
    Path p = home != null ? Path.of(home) : Path.of("").toAbsolutePath();
    if (!Files.exists(p.resolve("cluster/conf/config.yaml"))) {
      throw new IllegalStateException(
          "cannot find cluster/conf/config.yaml under "
              + p
              + ": run through the ./rillet launcher, or set RILLET_HOME to the repository");
    }
    return p;
  }
}
