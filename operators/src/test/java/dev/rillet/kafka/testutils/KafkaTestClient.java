package dev.rillet.kafka.testutils;

import dev.rillet.kafka.OrderedProducers;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.function.Consumer;
import java.util.stream.Collectors;
import org.apache.avro.message.BinaryMessageDecoder;
import org.apache.avro.message.BinaryMessageEncoder;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * Produces to and reads from a real Kafka in tests: Avro records in Rillet's wire format (single
 * object encoding, key = UTF-8 string) or raw bytes, and reads back <em>committed</em> records only
 * ({@code isolation.level=read_committed}), which is what the exactly-once guarantee is about.
 *
 * <p>Reads poll with a deadline instead of sleeping: they return as soon as the expected count has
 * arrived and the consumer has caught up with the last stable offset of every partition, so extra
 * (duplicate) records that are already committed are returned too and a test can see them.
 */
public final class KafkaTestClient implements AutoCloseable {
  private static final Duration POLL = Duration.ofMillis(100);

  private final String bootstrapServers;
  private final KafkaProducer<byte[], byte[]> producer;

  public KafkaTestClient(String bootstrapServers) {
    this.bootstrapServers = bootstrapServers;
    Properties p = OrderedProducers.properties(bootstrapServers);
    p.put(ProducerConfig.LINGER_MS_CONFIG, "0");
    this.producer = OrderedProducers.create(p);
  }

  /** One record read back, value decoded. */
  public record Received<T>(String topic, int partition, long offset, byte[] key, T value) {
    /** The key as a UTF-8 string, or null. */
    public String keyString() {
      return key == null ? null : new String(key, StandardCharsets.UTF_8);
    }
  }

  /** Avro single-object encoding of {@code record}, as Rillet writes every topic's values. */
  public static <T extends SpecificRecord> byte[] encode(T record) {
    @SuppressWarnings("unchecked")
    Class<T> type = (Class<T>) record.getClass();
    BinaryMessageEncoder<T> encoder =
        new BinaryMessageEncoder<>(SpecificData.getForClass(type), record.getSchema());
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try {
      encoder.encode(record, out);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toByteArray();
  }

  /** Sends {@code value} Avro-encoded with key {@code key} (UTF-8); waits for the ack. */
  public <T extends SpecificRecord> RecordMetadata send(String topic, String key, T value) {
    return sendRaw(
        topic, null, key == null ? null : key.getBytes(StandardCharsets.UTF_8), encode(value));
  }

  /**
   * Sends raw key/value bytes, to {@code partition} if not null (else the default partitioner
   * chooses); waits for the ack, whose partition and offset say where the record landed.
   */
  public RecordMetadata sendRaw(String topic, Integer partition, byte[] key, byte[] value) {
    try {
      return producer.send(new ProducerRecord<>(topic, partition, key, value)).get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    } catch (ExecutionException e) {
      throw new IllegalStateException("send to " + topic + " failed", e.getCause());
    }
  }

  /**
   * Runs {@code body} inside one transaction of a new transactional producer with id {@code
   * transactionalId}; commits if {@code commit}, else aborts. The producer is closed afterwards.
   */
  public void inTransaction(
      String transactionalId, boolean commit, Consumer<KafkaProducer<byte[], byte[]>> body) {
    Properties p = OrderedProducers.properties(bootstrapServers);
    p.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, transactionalId);
    try (KafkaProducer<byte[], byte[]> tx = OrderedProducers.create(p)) {
      tx.initTransactions();
      tx.beginTransaction();
      body.accept(tx);
      tx.flush();
      if (commit) {
        tx.commitTransaction();
      } else {
        tx.abortTransaction();
      }
    }
  }

  /**
   * Reads every committed record of {@code topic} from the beginning: returns once at least {@code
   * expected} records arrived and all partitions are read up to their last stable offset, or when
   * {@code timeout} has passed (then with what arrived, so the caller's assertion shows what is
   * missing).
   */
  public List<ConsumerRecord<byte[], byte[]>> readCommittedRaw(
      String topic, int expected, Duration timeout) {
    Properties p = new Properties();
    p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
    p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
    p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    long deadline = System.nanoTime() + timeout.toNanos();
    List<ConsumerRecord<byte[], byte[]>> out = new ArrayList<>();
    try (KafkaConsumer<byte[], byte[]> consumer =
        new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
      List<TopicPartition> partitions = partitionsOf(consumer, topic, deadline);
      consumer.assign(partitions);
      consumer.seekToBeginning(partitions);
      while (true) {
        for (ConsumerRecord<byte[], byte[]> r : consumer.poll(POLL)) {
          out.add(r);
        }
        if (out.size() >= expected && caughtUp(consumer, partitions)) {
          return out;
        }
        if (System.nanoTime() - deadline > 0) {
          return out;
        }
      }
    }
  }

  /** {@link #readCommittedRaw} with values decoded by {@code decoder}. */
  public <T> List<Received<T>> readCommitted(
      String topic, int expected, Duration timeout, BinaryMessageDecoder<T> decoder) {
    List<Received<T>> out = new ArrayList<>();
    for (ConsumerRecord<byte[], byte[]> r : readCommittedRaw(topic, expected, timeout)) {
      T value;
      try {
        value = decoder.decode(r.value());
      } catch (IOException e) {
        throw new UncheckedIOException(
            "cannot decode " + topic + "-" + r.partition() + "@" + r.offset(), e);
      }
      out.add(new Received<>(r.topic(), r.partition(), r.offset(), r.key(), value));
    }
    return out;
  }

  /**
   * Every committed record of {@code topic} once no transaction on it is open: waits until the last
   * stable offset of every partition has reached its end, then reads up to there. For a job that
   * has finished: its sinks' commit returns before the broker has written the commit markers, so a
   * read right after it can find the records still pending and stop short of them.
   */
  public <T> List<Received<T>> readSettled(
      String topic, Duration timeout, BinaryMessageDecoder<T> decoder) {
    long deadline = System.nanoTime() + timeout.toNanos();
    Properties p = new Properties();
    p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
    p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
    try (KafkaConsumer<byte[], byte[]> uncommitted =
            new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer());
        KafkaConsumer<byte[], byte[]> committed =
            new KafkaConsumer<>(
                withReadCommitted(p), new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
      List<TopicPartition> partitions = partitionsOf(committed, topic, deadline);
      while (!committed.endOffsets(partitions).equals(uncommitted.endOffsets(partitions))) {
        if (System.nanoTime() - deadline > 0) {
          throw new IllegalStateException(
              topic + " still has an open transaction after " + timeout.toSeconds() + " s");
        }
        try {
          Thread.sleep(POLL.toMillis()); // the broker writes the markers on its own schedule
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new IllegalStateException(e);
        }
      }
    }
    return readCommitted(topic, 0, timeout, decoder);
  }

  private static Properties withReadCommitted(Properties p) {
    Properties q = new Properties();
    q.putAll(p);
    q.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    return q;
  }

  private static List<TopicPartition> partitionsOf(
      KafkaConsumer<byte[], byte[]> consumer, String topic, long deadline) {
    while (true) {
      List<org.apache.kafka.common.PartitionInfo> infos = null;
      try {
        infos = consumer.partitionsFor(topic, Duration.ofSeconds(2));
      } catch (org.apache.kafka.common.errors.TimeoutException slowMetadata) {
        // The first metadata fetch can take longer on a loaded machine; retry until the deadline.
      }
      if (infos != null && !infos.isEmpty()) {
        return infos.stream()
            .map(i -> new TopicPartition(topic, i.partition()))
            .collect(Collectors.toList());
      }
      if (System.nanoTime() - deadline > 0) {
        throw new IllegalStateException("topic " + topic + " does not exist");
      }
    }
  }

  private static boolean caughtUp(
      KafkaConsumer<byte[], byte[]> consumer, List<TopicPartition> partitions) {
    // With read_committed, endOffsets are last stable offsets: nothing committed lies beyond.
    Map<TopicPartition, Long> ends = consumer.endOffsets(partitions);
    for (TopicPartition tp : partitions) {
      if (consumer.position(tp) < ends.get(tp)) {
        return false;
      }
    }
    return true;
  }

  @Override
  public void close() {
    producer.close(Duration.ofSeconds(10));
  }
}
