package dev.rillet.jobs.cluster;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.CoreOptions;
import org.apache.flink.configuration.GlobalConfiguration;
import org.apache.flink.runtime.clusterframework.TaskExecutorProcessSpec;
import org.apache.flink.runtime.clusterframework.TaskExecutorProcessUtils;
import org.apache.flink.runtime.jobmanager.JobManagerProcessSpec;
import org.apache.flink.runtime.jobmanager.JobManagerProcessUtils;
import org.apache.flink.runtime.util.config.memory.ProcessMemoryUtils;

/**
 * A Flink standalone session cluster of real processes on this machine: one JobManager and any
 * number of TaskManagers, each a JVM started from the jars of {@code cluster/target/lib} (Flink's
 * own artifacts from Maven Central, with ONNX Runtime) and the repository's {@code
 * cluster/conf/config.yaml}, every address bound to 127.0.0.1.
 *
 * <p>Everything the cluster owns lives in its home folder: {@code conf/} (the config it runs),
 * {@code log/} (one log per process), {@code checkpoints/} and {@code savepoints/} (durable),
 * {@code upload/} (submitted jars), {@code tmp/}, and {@code processes} (one line per process:
 * role, pid, address, log), which {@link #status()} and {@link #stop()} read. The processes outlive
 * the JVM that started them; they are stopped by their PIDs.
 */
public final class LocalCluster {
  private static final String JOBMANAGER_CLASS =
      "org.apache.flink.runtime.entrypoint.StandaloneSessionClusterEntrypoint";
  private static final String TASKMANAGER_CLASS =
      "org.apache.flink.runtime.taskexecutor.TaskManagerRunner";
  private static final String HOST = "127.0.0.1";
  private static final String SETTINGS = "conf/local-settings";
  private static final Pattern PROMETHEUS_PORT =
      Pattern.compile("Started PrometheusReporter HTTP server on port (\\d+)");

  private final Path home;
  private final Path lib;
  private final Path configTemplate;

  /** One process of the cluster, as recorded in {@code processes}. */
  public record Member(String role, long pid, String address, Path log) {
    /** True when the process is alive and is this cluster's (not a reused PID). */
    public boolean alive(Path home) {
      return ProcessHandle.of(pid)
          .filter(ProcessHandle::isAlive)
          .map(
              p ->
                  p.info()
                      .arguments()
                      .map(a -> Arrays.asList(a).contains(home.resolve("conf").toString()))
                      .orElse(true))
          .orElse(false);
    }
  }

  /** Ports of a cluster; the defaults are Flink's. */
  public record Ports(int rest, int rpc) {
    public static final Ports DEFAULT = new Ports(8081, 6123);
  }

  /**
   * @param home the cluster's folder (created on start)
   * @param lib the folder of jars the processes run from ({@code cluster/target/lib})
   * @param configTemplate the repository's {@code cluster/conf/config.yaml}
   */
  public LocalCluster(Path home, Path lib, Path configTemplate) {
    this.home = home.toAbsolutePath().normalize();
    this.lib = lib.toAbsolutePath().normalize();
    this.configTemplate = configTemplate;
  }

  /** The cluster's folder. */
  public Path home() {
    return home;
  }

  /** Durable checkpoint folder of the cluster's jobs. */
  public Path checkpoints() {
    return home.resolve("checkpoints");
  }

  /** Where stop-with-savepoint writes when no directory is given. */
  public Path savepoints() {
    return home.resolve("savepoints");
  }

  /** The processes recorded in the home folder, JobManager first; empty when none. */
  public List<Member> members() throws IOException {
    Path file = home.resolve("processes");
    if (!Files.exists(file)) {
      return List.of();
    }
    List<Member> members = new ArrayList<>();
    for (String line : Files.readAllLines(file)) {
      String[] f = line.split("\t");
      if (f.length == 4) {
        members.add(new Member(f[0], Long.parseLong(f[1]), f[2], Path.of(f[3])));
      }
    }
    return members;
  }

  /** The running JobManager, if the home folder records one that is alive. */
  public Optional<Member> jobManager() throws IOException {
    return members().stream()
        .filter(m -> m.role().equals("jobmanager") && m.alive(home))
        .findFirst();
  }

  /** The REST address recorded for the running JobManager ({@code host:port}). */
  public Optional<String> restAddress() throws IOException {
    return jobManager().map(Member::address);
  }

  /**
   * Starts the JobManager (unless one runs in this home already) and {@code taskManagers} more
   * TaskManagers, then waits until the REST API answers and every TaskManager has registered.
   *
   * @return the processes started now
   */
  public List<Member> start(int taskManagers, int slots, Ports ports, Duration timeout)
      throws IOException, InterruptedException {
    if (!Files.isDirectory(lib) || !Files.exists(lib.resolve(onnxRuntimeJar()))) {
      throw new IllegalStateException(
          "the cluster's jars are not in "
              + lib
              + ": build them with `mvn -pl cluster package` (./rillet cluster start does this)");
    }
    List<Member> started = new ArrayList<>();
    Optional<Member> running = jobManager();
    List<Member> alive = new ArrayList<>();
    for (Member m : members()) {
      if (m.alive(home)) {
        alive.add(m);
      }
    }
    String rest;
    Map<String, String> settings;
    if (running.isEmpty()) {
      alive.clear(); // TaskManagers of a JobManager that is gone: not part of this start
      prepareHome();
      settings = localSettings(ports, slots);
      writeSettings(settings);
      rest = HOST + ":" + ports.rest();
      Member jm = launch("jobmanager", settings, null, rest);
      started.add(jm);
      alive.add(jm);
    } else {
      // TaskManagers added to a running cluster join it with its addresses and directories.
      settings = readSettings();
      settings.put("taskmanager.numberOfTaskSlots", Integer.toString(slots));
      rest = running.get().address();
    }
    FlinkRestClient client = new FlinkRestClient(rest);
    int existingTaskManagers =
        (int) alive.stream().filter(m -> m.role().equals("taskmanager")).count();
    int existingSlots = running.isEmpty() ? 0 : client.overview().slotsTotal();
    int next = nextTaskManagerIndex();
    for (int i = 0; i < taskManagers; i++) {
      Member tm = launch("taskmanager", settings, next + i, rest);
      started.add(tm);
      alive.add(tm);
    }
    record(alive);
    awaitReady(
        client,
        existingTaskManagers + taskManagers,
        existingSlots + taskManagers * slots,
        started,
        timeout);
    return started;
  }

  /** Stops every recorded process (TaskManagers first) by its PID; returns the ones stopped. */
  public List<Member> stop() throws IOException, InterruptedException {
    List<Member> members = new ArrayList<>(members());
    // TaskManagers first: the JobManager should not see them vanish and reschedule jobs.
    members.sort((a, b) -> a.role().equals(b.role()) ? 0 : a.role().equals("taskmanager") ? -1 : 1);
    List<Member> stopped = new ArrayList<>();
    for (Member m : members) {
      if (m.alive(home) && stop(m)) {
        stopped.add(m);
      }
    }
    Files.deleteIfExists(home.resolve("processes"));
    return stopped;
  }

  /** Kills one process with SIGKILL (for failure tests); the record stays, marked dead. */
  public static void kill(Member m) {
    ProcessHandle.of(m.pid()).ifPresent(ProcessHandle::destroyForcibly);
  }

  /** The Prometheus port a process serves its metrics on, read from its log; empty before that. */
  public static Optional<Integer> metricsPort(Member m) throws IOException {
    if (!Files.exists(m.log())) {
      return Optional.empty();
    }
    // The reporter starts with the process: read from the top and stop at the line, not the whole
    // log (which rolls over at 100 MB).
    try (var lines = Files.lines(m.log(), StandardCharsets.UTF_8)) {
      return lines
          .map(PROMETHEUS_PORT::matcher)
          .filter(Matcher::find)
          .findFirst()
          .map(matcher -> Integer.parseInt(matcher.group(1)));
    }
  }

  /** One line per recorded process: role, pid, address, metrics port, log, and whether alive. */
  public List<String> status() throws IOException {
    List<String> lines = new ArrayList<>();
    for (Member m : members()) {
      boolean alive = m.alive(home);
      lines.add(
          String.format(
              "%-11s pid %-7d %-15s %-13s log %s%s",
              m.role(),
              m.pid(),
              m.role().equals("jobmanager") ? "rest " + m.address() : m.address(),
              metricsPort(m).map(p -> "metrics :" + p).orElse(""),
              m.log(),
              alive ? "" : "  (not running)"));
    }
    return lines;
  }

  private boolean stop(Member m) throws InterruptedException {
    Optional<ProcessHandle> handle = ProcessHandle.of(m.pid());
    if (handle.isEmpty()) {
      return false;
    }
    handle.get().destroy(); // SIGTERM: Flink's processes shut down cleanly on it
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    while (handle.get().isAlive() && System.nanoTime() < deadline) {
      Thread.sleep(100); // waiting for another process to exit: nothing to join on
    }
    if (handle.get().isAlive()) {
      handle.get().destroyForcibly();
    }
    return true;
  }

  private void prepareHome() throws IOException {
    for (String dir : List.of("conf", "log", "checkpoints", "savepoints", "upload", "tmp")) {
      Files.createDirectories(home.resolve(dir));
    }
    Files.copy(
        configTemplate, home.resolve("conf/config.yaml"), StandardCopyOption.REPLACE_EXISTING);
    Files.writeString(home.resolve("conf/log4j.properties"), LOG4J, StandardCharsets.UTF_8);
  }

  /** What is particular to this machine, given to every process as {@code -D} settings. */
  private Map<String, String> localSettings(Ports ports, int slots) {
    Map<String, String> s = new LinkedHashMap<>();
    s.put("jobmanager.rpc.address", HOST);
    s.put("jobmanager.bind-host", HOST);
    s.put("jobmanager.rpc.port", Integer.toString(ports.rpc()));
    s.put("taskmanager.host", HOST);
    s.put("taskmanager.bind-host", HOST);
    s.put("rest.address", HOST);
    s.put("rest.bind-address", HOST);
    s.put("rest.port", Integer.toString(ports.rest()));
    s.put("taskmanager.numberOfTaskSlots", Integer.toString(slots));
    s.put("execution.checkpointing.dir", checkpoints().toUri().toString());
    s.put("execution.checkpointing.savepoint-dir", savepoints().toUri().toString());
    s.put("web.upload.dir", home.resolve("upload").toString());
    s.put("io.tmp.dirs", home.resolve("tmp").toString());
    return s;
  }

  /** Kept in the home folder so that TaskManagers added later join with the same settings. */
  private void writeSettings(Map<String, String> settings) throws IOException {
    StringBuilder s = new StringBuilder();
    settings.forEach((k, v) -> s.append(k).append('=').append(v).append('\n'));
    Files.writeString(home.resolve(SETTINGS), s.toString(), StandardCharsets.UTF_8);
  }

  private Map<String, String> readSettings() throws IOException {
    Map<String, String> settings = new LinkedHashMap<>();
    for (String line : Files.readAllLines(home.resolve(SETTINGS), StandardCharsets.UTF_8)) {
      int eq = line.indexOf('=');
      if (eq > 0) {
        settings.put(line.substring(0, eq), line.substring(eq + 1));
      }
    }
    return settings;
  }

  private Member launch(String role, Map<String, String> common, Integer index, String rest)
      throws IOException {
    Map<String, String> settings = new LinkedHashMap<>(common);
    if (index != null) {
      settings.put("taskmanager.resource-id", "taskmanager-" + index);
    }
    Configuration conf = loadConfig();
    settings.forEach(conf::setString);
    List<String> jvm = new ArrayList<>();
    List<String> dynamic = new ArrayList<>();
    String roleOptions;
    if (role.equals("jobmanager")) {
      JobManagerProcessSpec spec = JobManagerProcessUtils.processSpecFromConfig(conf);
      jvm.addAll(split(JobManagerProcessUtils.generateJvmParametersStr(spec, conf)));
      dynamic.addAll(split(JobManagerProcessUtils.generateDynamicConfigsStr(spec)));
      roleOptions = conf.get(CoreOptions.FLINK_JM_JVM_OPTIONS);
    } else {
      TaskExecutorProcessSpec spec = TaskExecutorProcessUtils.processSpecFromConfig(conf);
      jvm.addAll(split(ProcessMemoryUtils.generateJvmParametersStr(spec)));
      dynamic.addAll(split(TaskExecutorProcessUtils.generateDynamicConfigsStr(spec)));
      roleOptions = conf.get(CoreOptions.FLINK_TM_JVM_OPTIONS);
    }
    String name = index == null ? role : role + "-" + index;
    Path log = home.resolve("log").resolve(name + ".log");
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.addAll(jvm);
    command.addAll(split(conf.get(CoreOptions.FLINK_JVM_OPTIONS)));
    command.addAll(split(roleOptions));
    command.add("-Dlog.file=" + log);
    command.add("-Dlog4j.configurationFile=" + home.resolve("conf/log4j.properties").toUri());
    // A short class path: ONNX Runtime's native set-up crashed a TaskManager under a 4 KB one.
    command.add("-cp");
    command.add(lib.getFileName() + File.separator + "*");
    command.add(role.equals("jobmanager") ? JOBMANAGER_CLASS : TASKMANAGER_CLASS);
    command.add("--configDir");
    command.add(home.resolve("conf").toString());
    settings.forEach(
        (k, v) -> {
          command.add("-D");
          command.add(k + "=" + v);
        });
    command.addAll(dynamic);
    Process process =
        new ProcessBuilder(command)
            .directory(lib.getParent().toFile())
            .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
            .redirectOutput(home.resolve("log").resolve(name + ".out").toFile())
            .redirectErrorStream(true)
            .start();
    String address =
        role.equals("jobmanager") ? rest : "slots " + settings.get("taskmanager.numberOfTaskSlots");
    return new Member(role, process.pid(), address, log);
  }

  /** Until every TaskManager has registered and offered its slots. */
  private void awaitReady(
      FlinkRestClient client, int taskManagers, int slots, List<Member> started, Duration timeout)
      throws IOException, InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (true) {
      for (Member m : started) {
        if (!m.alive(home)) {
          throw new IllegalStateException(
              m.role()
                  + " (pid "
                  + m.pid()
                  + ") exited during start-up; its log: "
                  + m.log()
                  + lastLines(m));
        }
      }
      if (client.isUp()) {
        FlinkRestClient.Overview o = client.overview();
        if (o.taskManagers() >= taskManagers && o.slotsTotal() >= slots) {
          return;
        }
      }
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException(
            "the cluster was not ready within "
                + timeout.toSeconds()
                + " s (REST "
                + client.address()
                + (client.isUp()
                    ? " answers with " + client.overview().taskManagers() + " TaskManagers"
                    : " does not answer")
                + "); logs in "
                + home.resolve("log"));
      }
      Thread.sleep(200); // polling another process's REST API until it is up
    }
  }

  private static String lastLines(Member m) throws IOException {
    Path out = m.log().resolveSibling(m.log().getFileName().toString().replace(".log", ".out"));
    List<String> lines = new ArrayList<>();
    for (Path p : List.of(m.log(), out)) {
      if (Files.exists(p)) {
        lines.addAll(Files.readAllLines(p, StandardCharsets.UTF_8));
      }
    }
    return lines.isEmpty()
        ? ""
        : "\n  " + String.join("\n  ", lines.subList(Math.max(0, lines.size() - 15), lines.size()));
  }

  private int nextTaskManagerIndex() throws IOException {
    return members().stream()
            .filter(m -> m.role().equals("taskmanager"))
            .mapToInt(
                m -> {
                  String n = m.log().getFileName().toString();
                  return Integer.parseInt(n.substring("taskmanager-".length(), n.indexOf('.')));
                })
            .max()
            .orElse(0)
        + 1;
  }

  private void record(List<Member> members) throws IOException {
    StringBuilder s = new StringBuilder();
    for (Member m : members) {
      s.append(m.role())
          .append('\t')
          .append(m.pid())
          .append('\t')
          .append(m.address())
          .append('\t')
          .append(m.log())
          .append('\n');
    }
    Files.writeString(home.resolve("processes"), s.toString(), StandardCharsets.UTF_8);
  }

  private Configuration loadConfig() {
    return GlobalConfiguration.loadConfiguration(home.resolve("conf").toString());
  }

  private String onnxRuntimeJar() throws IOException {
    try (var files = Files.list(lib)) {
      return files
          .map(p -> p.getFileName().toString())
          .filter(n -> n.startsWith("onnxruntime"))
          .findFirst()
          .orElse("onnxruntime-*.jar");
    }
  }

  private static List<String> split(String s) {
    return s == null || s.isBlank() ? List.of() : Arrays.asList(s.strip().split("\\s+"));
  }

  private static final String LOG4J =
      String.join(
          "\n",
          "# Written by ./rillet cluster start: each process logs to its own file (log.file).",
          "monitorInterval = 30",
          "rootLogger.level = INFO",
          "rootLogger.appenderRef.file.ref = MainAppender",
          "logger.kafka.name = org.apache.kafka",
          "logger.kafka.level = WARN",
          "appender.main.name = MainAppender",
          "appender.main.type = RollingFile",
          "appender.main.append = true",
          "appender.main.fileName = ${sys:log.file}",
          "appender.main.filePattern = ${sys:log.file}.%i",
          "appender.main.layout.type = PatternLayout",
          "appender.main.layout.pattern = %d{yyyy-MM-dd HH:mm:ss,SSS} %-5p %-60c %x - %m%n",
          "appender.main.policies.type = Policies",
          "appender.main.policies.size.type = SizeBasedTriggeringPolicy",
          "appender.main.policies.size.size = 100MB",
          "appender.main.strategy.type = DefaultRolloverStrategy",
          "appender.main.strategy.max = 5",
          "");
}
