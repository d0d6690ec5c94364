package dev.rillet.kafka;

import java.util.Properties;
import org.apache.flink.annotation.Internal;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * Producers of raw records (keys and values as bytes) that never duplicate or reorder a record, for
 * the tools and tests that write Rillet's input: idempotent, {@code acks=all}, and one request in
 * flight per connection.
 *
 * <p>Why one in flight: a broker accepts any first sequence number from a producer it holds no
 * state for. If a new producer's first batch to a partition fails with a retriable error (such as
 * {@code NOT_LEADER_OR_FOLLOWER} in the moment after the topic is created) while its second batch
 * is in flight, the second batch is written first, and the broker then rejects the first as out of
 * order on every retry until the delivery timeout ("Expiring N record(s) for topic-P: 120000 ms has
 * passed since batch creation"). With one request in flight the second batch is only sent once the
 * first is written; batches still fill while a request is out.
 */
@Internal
public final class OrderedProducers {
  private OrderedProducers() {}

  /** The configuration, for callers that add settings of their own. */
  public static Properties properties(String bootstrapServers) {
    return properties(bootstrapServers, KafkaClientConfig.empty());
  }

  /**
   * The configuration over a user's producer settings ({@code --kafka-config}): theirs first, then
   * the settings above, which win, since the order they keep is the point of these producers.
   */
  public static Properties properties(String bootstrapServers, KafkaClientConfig clients) {
    Properties p = clients.properties(KafkaClientConfig.Client.PRODUCER, bootstrapServers);
    p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
    p.put(ProducerConfig.ACKS_CONFIG, "all");
    p.put(ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION, "1");
    return p;
  }

  /** A new producer with {@link #properties}; the caller owns it and must close it. */
  public static KafkaProducer<byte[], byte[]> create(String bootstrapServers) {
    return create(properties(bootstrapServers));
  }

  /** A new producer with byte-array serializers over {@code properties}; the caller closes it. */
  public static KafkaProducer<byte[], byte[]> create(Properties properties) {
    return new KafkaProducer<>(properties, new ByteArraySerializer(), new ByteArraySerializer());
  }
}
