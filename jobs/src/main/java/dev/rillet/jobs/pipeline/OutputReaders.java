package dev.rillet.jobs.pipeline;

import java.util.Properties;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * Consumers of what a job's exactly-once sinks committed, for the commands that watch the outputs
 * of a job they run (the demo's console, {@code bench e2e}'s latency reader): raw bytes, {@code
 * read_committed} (a record counts once its transaction commits, as downstream consumers see it),
 * from the earliest offset of each topic.
 */
public final class OutputReaders {
  private OutputReaders() {}

  /** The configuration, for callers that add settings of their own. */
  public static Properties properties(String bootstrapServers, String groupId) {
    Properties p = new Properties();
    p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
    p.put(ConsumerConfig.GROUP_ID_CONFIG, groupId);
    p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
    p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
    return p;
  }

  /** A new consumer with {@link #properties}; the caller owns it and must close it. */
  public static KafkaConsumer<byte[], byte[]> create(String bootstrapServers, String groupId) {
    return new KafkaConsumer<>(properties(bootstrapServers, groupId));
  }
}
