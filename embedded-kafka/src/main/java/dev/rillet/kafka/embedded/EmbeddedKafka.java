package dev.rillet.kafka.embedded;

import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.stream.Stream;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.apache.kafka.common.test.KafkaClusterTestKit;
import org.apache.kafka.common.test.TestKitNodes;
import org.apache.kafka.common.utils.Utils;

/**
 * A real, in-process, single-node Kafka (KRaft, combined broker + controller) for the demo and for
 * tests. Built on Kafka's own {@code KafkaClusterTestKit}: the same broker code as a production
 * Kafka, only configured for one node.
 *
 * <p>Configured so that everything Rillet relies on works on one node: transactions (transaction
 * state log with replication factor 1 and min ISR 1), consumer-group offsets (offsets topic
 * replication factor 1), no initial rebalance delay, and no time-based retention (records with
 * timestamps from the past stay). {@link #start()} returns once the broker accepts clients.
 *
 * <p>The log directory is a fresh temporary directory unless {@link Builder#logDir(Path)} names
 * one. A temporary directory is deleted by {@link #close()}; a named one is kept (for inspection)
 * and must not hold an earlier broker's data, since every start formats a new cluster. {@link
 * #restart()} stops and starts the same broker on its directory, for failure tests.
 */
public final class EmbeddedKafka implements AutoCloseable {
  /** Name of the extra listener that binds a fixed client port, see {@link Builder#port(int)}. */
  private static final String FIXED_LISTENER = "FIXED";

  private static final Duration TOPIC_READY_TIMEOUT = Duration.ofSeconds(30);

  private final TestKitNodes nodes;
  private final int port;
  private final Map<String, String> brokerProperties;
  private final boolean sasl;
  private final boolean temporary;
  private final String bootstrapServers;
  private KafkaClusterTestKit cluster;
  private boolean closed;

  private EmbeddedKafka(
      TestKitNodes nodes,
      int port,
      Map<String, String> brokerProperties,
      boolean sasl,
      boolean temporary,
      KafkaClusterTestKit cluster) {
    this.nodes = nodes;
    this.port = port;
    this.brokerProperties = brokerProperties;
    this.sasl = sasl;
    this.temporary = temporary;
    this.cluster = cluster;
    this.bootstrapServers = port != 0 ? "localhost:" + port : cluster.bootstrapServers();
  }

  /** Starts a broker with defaults: temporary log directory, a free port. */
  public static EmbeddedKafka start() {
    return builder().start();
  }

  public static Builder builder() {
    return new Builder();
  }

  /** {@code host:port} list for a client's {@code bootstrap.servers}. */
  public String bootstrapServers() {
    return bootstrapServers;
  }

  /** The directory holding the broker's metadata and data logs. */
  public Path logDir() {
    return Path.of(nodes.baseDirectory());
  }

  /**
   * Stops the broker as a crash would leave it (no controlled shutdown of clients) and starts it
   * again on the same log directory, cluster id and port: topics, records, committed offsets and
   * transaction state survive, and clients reconnect to the same address. Returns once the broker
   * accepts clients again. Needs a fixed port ({@link Builder#port(int)}), since clients must find
   * the broker where it was.
   */
  public synchronized void restart() {
    if (closed) {
      throw new IllegalStateException("embedded Kafka is closed");
    }
    if (port == 0) {
      throw new IllegalStateException(
          "restart needs a fixed client port, or clients could not find the broker again:"
              + " start it with EmbeddedKafka.builder().port(...)");
    }
    try {
      cluster.close();
    } catch (Exception e) {
      throw new IllegalStateException("error stopping embedded Kafka for a restart", e);
    }
    cluster = launch(nodes, port, brokerProperties, sasl, false);
  }

  /**
   * Creates every named topic that does not exist yet with {@code partitions} partitions and
   * replication factor 1; topics that exist are left as they are. Returns when the controller has
   * created them.
   */
  public void createTopics(int partitions, String... names) {
    if (partitions < 1) {
      throw new IllegalArgumentException("partitions must be >= 1, got " + partitions);
    }
    // The test kit's own listener, which is plaintext even when clients must use SASL.
    try (Admin admin =
        Admin.create(
            Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, cluster.bootstrapServers()))) {
      Set<String> existing = admin.listTopics().names().get();
      List<NewTopic> missing = new ArrayList<>();
      for (String name : new LinkedHashSet<>(List.of(names))) {
        if (!existing.contains(name)) {
          missing.add(new NewTopic(name, partitions, (short) 1));
        }
      }
      for (var entry : admin.createTopics(missing).values().entrySet()) {
        try {
          entry.getValue().get();
        } catch (ExecutionException e) {
          // Another client may have created it between listTopics and createTopics: still fine.
          if (!(e.getCause() instanceof TopicExistsException)) {
            throw new IllegalStateException("cannot create topic " + entry.getKey(), e.getCause());
          }
        }
      }
      awaitLeaders(admin, List.of(names));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while creating topics", e);
    } catch (ExecutionException e) {
      throw new IllegalStateException("cannot list topics", e.getCause());
    }
  }

  /**
   * The controller acknowledges a new topic before the broker serves it; wait until every partition
   * has a leader, so that a client using the topic right away does not fail.
   */
  private static void awaitLeaders(Admin admin, List<String> names)
      throws InterruptedException, ExecutionException {
    long deadline = System.nanoTime() + TOPIC_READY_TIMEOUT.toNanos();
    while (true) {
      try {
        Map<String, TopicDescription> topics = admin.describeTopics(names).allTopicNames().get();
        boolean ready =
            topics.values().stream()
                .flatMap(t -> t.partitions().stream())
                .allMatch(p -> p.leader() != null && !p.leader().isEmpty());
        if (ready) {
          return;
        }
      } catch (ExecutionException e) {
        if (!(e.getCause() instanceof UnknownTopicOrPartitionException)) {
          throw e;
        }
      }
      if (System.nanoTime() - deadline > 0) {
        throw new IllegalStateException(
            "topics " + names + " have no leader after " + TOPIC_READY_TIMEOUT);
      }
      // Metadata propagates within milliseconds on one node; a short pause keeps this cheap.
      Thread.sleep(10);
    }
  }

  /** Stops the broker; deletes the log directory if it was a temporary one. Idempotent. */
  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    try {
      cluster.close();
    } catch (Exception e) {
      throw new IllegalStateException("error stopping embedded Kafka", e);
    }
    if (temporary) {
      try {
        Utils.delete(logDir().toFile());
      } catch (IOException e) {
        throw new UncheckedIOException("cannot delete Kafka log dir " + logDir(), e);
      }
    }
  }

  /**
   * Builds and starts the broker of {@code nodes}, formatting its directories first if {@code
   * format}, and waits until it accepts clients.
   */
  private static KafkaClusterTestKit launch(
      TestKitNodes nodes,
      int port,
      Map<String, String> brokerProperties,
      boolean sasl,
      boolean format) {
    // The directory is deleted by close(), not by the test kit: a restart closes the kit too.
    KafkaClusterTestKit.Builder kit =
        new KafkaClusterTestKit.Builder(nodes).setDeleteOnClose(false);
    Builder.defaults().forEach(kit::setConfigProp);
    if (port != 0) {
      // The test kit pre-binds a random port for its own client listener; a fixed port gets a
      // listener of its own, which clients bootstrapping through it are then told to use.
      String broker = nodes.brokerListenerName().value();
      String controller = nodes.controllerListenerName().value();
      kit.setConfigProp(
          "listeners",
          String.format(
              "%s://localhost:0,%s://localhost:0,%s://localhost:%d",
              broker, controller, FIXED_LISTENER, port));
      kit.setConfigProp(
          "listener.security.protocol.map",
          String.format(
              "%s:PLAINTEXT,%s:PLAINTEXT,%s:%s",
              broker, controller, FIXED_LISTENER, sasl ? "SASL_PLAINTEXT" : "PLAINTEXT"));
    }
    brokerProperties.forEach(kit::setConfigProp);
    KafkaClusterTestKit cluster = null;
    try {
      cluster = kit.build();
      if (format) {
        cluster.format();
      }
      cluster.startup();
      cluster.waitForReadyBrokers();
      return cluster;
    } catch (Exception e) {
      if (cluster != null) {
        try {
          cluster.close();
        } catch (Exception suppressed) {
          e.addSuppressed(suppressed);
        }
      }
      if (e instanceof InterruptedException) {
        Thread.currentThread().interrupt();
      }
      throw new IllegalStateException("cannot start embedded Kafka in " + nodes.baseDirectory(), e);
    }
  }

  /** Options of an {@link EmbeddedKafka}; {@link #start()} starts it. */
  public static final class Builder {
    private Path logDir;
    private int port;
    private final Map<String, String> brokerProperties = new LinkedHashMap<>();
    private String saslUser;
    private String saslPassword;

    private Builder() {}

    /**
     * Keeps the broker's logs in {@code dir} (created if missing) instead of a temporary directory;
     * it is not deleted on close.
     */
    public Builder logDir(Path dir) {
      this.logDir = Objects.requireNonNull(dir, "dir");
      return this;
    }

    /** Client port on localhost; 0 (the default) picks a free one. */
    public Builder port(int port) {
      if (port < 0 || port > 65535) {
        throw new IllegalArgumentException("port must be in [0, 65535], got " + port);
      }
      this.port = port;
      return this;
    }

    /**
     * Makes the client port ({@link #port(int)}, required) accept only SASL_PLAINTEXT clients that
     * log in as {@code user} with {@code password} (mechanism PLAIN), as a secured production
     * cluster would; {@link #createTopics} still works, through the test kit's own listener.
     */
    public Builder saslPlain(String user, String password) {
      this.saslUser = Objects.requireNonNull(user, "user");
      this.saslPassword = Objects.requireNonNull(password, "password");
      return this;
    }

    /** Sets a broker configuration property, overriding Rillet's single-node defaults. */
    public Builder brokerProperty(String key, String value) {
      brokerProperties.put(Objects.requireNonNull(key, "key"), Objects.requireNonNull(value));
      return this;
    }

    /**
     * As {@link #start()}, with the lines Kafka's storage formatter prints to {@code System.out}
     * kept off it: a command's screen (the demo's view, {@code rillet kafka}'s banner, a bench's
     * table) shows only what the command prints. {@code System.out} is swapped for the start, so
     * nothing else should print to it meanwhile.
     */
    public EmbeddedKafka startQuietly() {
      PrintStream screen = System.out;
      System.setOut(new PrintStream(OutputStream.nullOutputStream()));
      try {
        return start();
      } finally {
        System.setOut(screen);
      }
    }

    /** Formats and starts the broker and waits until it accepts clients. */
    public EmbeddedKafka start() {
      boolean temporary = logDir == null;
      Path dir;
      try {
        dir =
            temporary
                ? Files.createTempDirectory("rillet-kafka-")
                : Files.createDirectories(logDir);
        if (!temporary) {
          try (Stream<Path> entries = Files.list(dir)) {
            if (entries.findAny().isPresent()) {
              throw new IllegalStateException(
                  "Kafka log dir "
                      + dir
                      + " is not empty; the embedded broker formats a new cluster"
                      + " on every start, so give it an empty or missing directory");
            }
          }
        }
      } catch (IOException e) {
        throw new UncheckedIOException("cannot create Kafka log dir", e);
      }
      TestKitNodes nodes =
          new TestKitNodes.Builder()
              .setCombined(true)
              .setNumBrokerNodes(1)
              .setNumControllerNodes(1)
              .setBaseDirectory(dir)
              .build();
      Map<String, String> properties = new LinkedHashMap<>(brokerProperties);
      boolean sasl = saslUser != null;
      if (sasl) {
        if (port == 0) {
          throw new IllegalStateException("saslPlain needs a fixed client port: call port(...)");
        }
        String listener = "listener.name." + FIXED_LISTENER.toLowerCase(Locale.ROOT) + ".";
        properties.put(listener + "sasl.enabled.mechanisms", "PLAIN");
        properties.put(
            listener + "plain.sasl.jaas.config",
            String.format(
                "org.apache.kafka.common.security.plain.PlainLoginModule required"
                    + " user_%s=\"%s\";",
                saslUser, saslPassword));
      }
      KafkaClusterTestKit cluster = launch(nodes, port, properties, sasl, true);
      return new EmbeddedKafka(nodes, port, properties, sasl, temporary, cluster);
    }

    static Map<String, String> defaults() {
      Map<String, String> p = new LinkedHashMap<>();
      // One node: every internal topic must live with replication factor 1.
      p.put("offsets.topic.replication.factor", "1");
      p.put("offsets.topic.num.partitions", "1");
      p.put("transaction.state.log.replication.factor", "1");
      p.put("transaction.state.log.min.isr", "1");
      p.put("transaction.state.log.num.partitions", "1");
      p.put("min.insync.replicas", "1");
      p.put("default.replication.factor", "1");
      // Consumers in a fresh group start at once instead of waiting for more members.
      p.put("group.initial.rebalance.delay.ms", "0");
      // Flink's exactly-once sink may hold a transaction open for a checkpoint interval plus a
      // restart; allow up to an hour rather than Kafka's 15 minutes.
      p.put("transaction.max.timeout.ms", "3600000");
      // Keep every record: the demo and the tests replay event times from the past, and outputs
      // carry their event time as Kafka timestamp, so a time-based retention would delete them at
      // the first retention check (30 s after start, then every 5 minutes) while a test reads.
      p.put("log.retention.ms", "-1");
      return p;
    }
  }
}
