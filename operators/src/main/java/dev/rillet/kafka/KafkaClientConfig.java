package dev.rillet.kafka;

import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import org.apache.flink.annotation.PublicEvolving;
import org.apache.flink.configuration.ReadableConfig;

/**
 * The Kafka client settings a user brings with {@code --kafka-config FILE} ({@link
 * KafkaOptions#CLIENT_CONFIG}): a Java properties file, as Kafka's own tools take with {@code
 * --command-config} or {@code --producer.config}. It is how a job reaches a secured cluster ({@code
 * security.protocol}, {@code sasl.*}, {@code ssl.*}) and how producer or consumer tuning ({@code
 * linger.ms}, {@code fetch.max.wait.ms}, ...) is set.
 *
 * <p>A key without a prefix goes to every client Rillet makes: the job's source and sinks, the
 * control-topic source and the commands' admin clients, producers and consumers. A key prefixed
 * {@code producer.}, {@code consumer.} or {@code admin.} goes to that kind of client only (the
 * prefix removed), and overrides the unprefixed key of the same name, as in Kafka Connect's worker
 * settings.
 *
 * <p>The settings Rillet owns are refused, with the flag that sets them, because changing them
 * would break what Rillet promises (exactly-once output, reading only committed input, Avro
 * values): see {@link #RESERVED}.
 *
 * <p>The file is read where the job is built: by the {@code rillet} command for a local run, by the
 * JobManager when the job is submitted to a cluster (so the path must be readable there, as model
 * paths must be readable by the TaskManagers). Its values travel inside the job graph.
 */
@PublicEvolving
public final class KafkaClientConfig {
  /** The kinds of client a setting can be aimed at with a prefix. */
  public enum Client {
    PRODUCER("producer."),
    CONSUMER("consumer."),
    ADMIN("admin.");

    private final String prefix;

    Client(String prefix) {
      this.prefix = prefix;
    }

    /** The key prefix that aims a setting at this kind of client only. */
    public String prefix() {
      return prefix;
    }
  }

  /**
   * Keys Rillet sets itself, with what to use instead. A key here is refused with or without a
   * client prefix.
   */
  public static final Map<String, String> RESERVED = reserved();

  private static final KafkaClientConfig EMPTY = new KafkaClientConfig(null, Map.of());

  private final Path source;
  private final Map<String, String> settings;

  private KafkaClientConfig(Path source, Map<String, String> settings) {
    this.source = source;
    this.settings = settings;
  }

  /** No settings: every client gets Rillet's own only. */
  public static KafkaClientConfig empty() {
    return EMPTY;
  }

  /**
   * The file named by {@link KafkaOptions#CLIENT_CONFIG} in {@code config}, or {@link #empty()}
   * when the option is not set.
   *
   * @throws IllegalArgumentException when the file cannot be read or sets a reserved key; the
   *     message names the flag, the file and the fix
   */
  public static KafkaClientConfig from(ReadableConfig config) {
    String file = config.get(KafkaOptions.CLIENT_CONFIG);
    if (file == null || file.isBlank()) {
      return EMPTY;
    }
    return load(Path.of(file));
  }

  /**
   * Reads a properties file.
   *
   * @throws IllegalArgumentException when the file cannot be read or sets a reserved key
   */
  public static KafkaClientConfig load(Path file) {
    String flag = "--" + KafkaOptions.CLIENT_CONFIG.key() + " " + file;
    Properties p = new Properties();
    try (Reader in = Files.newBufferedReader(file)) {
      p.load(in);
    } catch (NoSuchFileException e) {
      throw new IllegalArgumentException(
          flag + ": no such file. Give the path of a Kafka client properties file", e);
    } catch (IOException | IllegalArgumentException e) {
      throw new IllegalArgumentException(
          flag + ": cannot be read as a Java properties file: " + e.getMessage(), e);
    }
    Map<String, String> settings = new TreeMap<>();
    List<String> problems = new ArrayList<>();
    for (String key : p.stringPropertyNames()) {
      String plain = unprefixed(key);
      String instead = RESERVED.get(plain);
      if (instead != null) {
        problems.add(key + " (" + instead + ")");
      } else {
        settings.put(key, p.getProperty(key).trim());
      }
    }
    if (!problems.isEmpty()) {
      throw new IllegalArgumentException(
          flag
              + " sets what Rillet sets itself; remove "
              + String.join(", ", problems)
              + " from the file");
    }
    return new KafkaClientConfig(file, Collections.unmodifiableMap(settings));
  }

  /**
   * The settings for one kind of client: every unprefixed key, then that kind's prefixed keys
   * (prefix removed) over them. The map is new and the caller's to change.
   */
  public Map<String, String> forClient(Client client) {
    Map<String, String> out = new LinkedHashMap<>();
    settings.forEach(
        (k, v) -> {
          if (unprefixed(k).equals(k)) {
            out.put(k, v);
          }
        });
    settings.forEach(
        (k, v) -> {
          if (k.startsWith(client.prefix())) {
            out.put(k.substring(client.prefix().length()), v);
          }
        });
    return out;
  }

  /**
   * Client properties for {@code client}: {@code bootstrap.servers}, then this file's settings for
   * that kind of client. Callers add their own reserved settings after it.
   */
  public Properties properties(Client client, String bootstrapServers) {
    Properties p = new Properties();
    p.put("bootstrap.servers", bootstrapServers);
    p.putAll(forClient(client));
    return p;
  }

  /** Whether the file set anything. */
  public boolean isEmpty() {
    return settings.isEmpty();
  }

  /** For logs: the file and the keys it sets (never the values, which may be secrets). */
  @Override
  public String toString() {
    return source == null ? "no Kafka client settings" : source + " " + settings.keySet();
  }

  private static String unprefixed(String key) {
    for (Client c : Client.values()) {
      if (key.startsWith(c.prefix())) {
        return key.substring(c.prefix().length());
      }
    }
    return key;
  }

  private static Map<String, String> reserved() {
    Map<String, String> m = new LinkedHashMap<>();
    m.put("bootstrap.servers", "Rillet sets it from --" + KafkaOptions.BOOTSTRAP_SERVERS.key());
    m.put("group.id", "Rillet sets it from --" + KafkaOptions.GROUP_ID.key());
    m.put(
        "transactional.id", "Rillet sets it from --" + KafkaOptions.TRANSACTIONAL_ID_PREFIX.key());
    m.put(
        "transaction.timeout.ms",
        "Rillet sets it from --" + KafkaOptions.TRANSACTION_TIMEOUT.key());
    m.put(
        "isolation.level",
        "Rillet reads only committed records, so that it never tags input a producer aborted");
    m.put(
        "enable.auto.commit",
        "the source commits its offsets on checkpoints; they are not what it resumes from");
    String serde = "Rillet's topics hold Avro values it (de)serializes itself";
    m.put("key.serializer", serde);
    m.put("value.serializer", serde);
    m.put("key.deserializer", serde);
    m.put("value.deserializer", serde);
    return Collections.unmodifiableMap(m);
  }
}
