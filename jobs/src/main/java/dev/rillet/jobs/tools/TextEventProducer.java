package dev.rillet.jobs.tools;

import dev.rillet.avro.TextEvent;
import dev.rillet.kafka.KafkaClientConfig;
import dev.rillet.kafka.OrderedProducers;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;

/**
 * Writes {@link TextEvent}s to a topic the way the live job expects them: Avro single-object
 * encoded values, key = streamId (so a stream stays in one partition, in order), record timestamp =
 * eventTime (so a backfill can select a time range). An {@link OrderedProducers} producer, so a
 * retry never duplicates or reorders a record.
 */
public final class TextEventProducer implements AutoCloseable {
  private final KafkaProducer<byte[], byte[]> producer;
  private final String topic;

  /** The first failed send, reported by {@link #flush}; sends are asynchronous. */
  private final AtomicReference<Exception> failure = new AtomicReference<>();

  public TextEventProducer(String bootstrapServers, String topic) {
    this(bootstrapServers, KafkaClientConfig.empty(), topic);
  }

  /** A producer with the user's client settings ({@code --kafka-config}) under Rillet's own. */
  public TextEventProducer(String bootstrapServers, KafkaClientConfig clients, String topic) {
    this.producer = OrderedProducers.create(OrderedProducers.properties(bootstrapServers, clients));
    this.topic = topic;
  }

  /** Sends one event (asynchronously; {@link #flush} or {@link #close} waits). */
  public void send(TextEvent event) {
    byte[] value;
    try {
      value = TextEvent.getEncoder().encode(event).array();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    sendRaw(event.getStreamId().getBytes(StandardCharsets.UTF_8), value, event.getEventTime());
  }

  /** Sends raw bytes with an explicit record timestamp (tests use it for bad records). */
  public void sendRaw(byte[] key, byte[] value, long timestamp) {
    producer.send(
        new ProducerRecord<>(topic, null, timestamp, key, value),
        (metadata, e) -> {
          if (e != null) {
            failure.compareAndSet(null, e);
          }
        });
  }

  /**
   * Waits until everything sent is acknowledged.
   *
   * @throws IllegalStateException if a send failed (the broker rejected or timed out a record)
   */
  public void flush() {
    producer.flush();
    Exception e = failure.get();
    if (e != null) {
      throw new IllegalStateException("cannot write to " + topic + ": " + e.getMessage(), e);
    }
  }

  /** Flushes (reporting a failed send) and closes the producer. */
  @Override
  public void close() {
    try {
      flush();
    } finally {
      producer.close();
    }
  }
}
