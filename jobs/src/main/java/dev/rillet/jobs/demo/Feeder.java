package dev.rillet.jobs.demo;

import dev.rillet.avro.TextEvent;
import dev.rillet.kafka.OrderedProducers;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;

/**
 * Produces the demo's events to the input topic at a steady rate, on its own thread, keyed by
 * stream and timestamped with their event time as the live job expects; with the shipped sample it
 * first writes one record that is not Avro, to show the dead-letter path. It stops early when the
 * shared stop flag is set; {@link #done} and {@link #failure} say how it ended.
 */
final class Feeder extends Thread {
  private final String servers;
  private final String topic;
  private final List<TextEvent> events;

  /** Time between two sends: the pace of {@code rate} events per second. */
  private final long intervalNanos;

  private final boolean injectBadRecord;
  private final AtomicBoolean stop;
  private volatile boolean done;
  private volatile Exception failure;

  Feeder(
      String servers,
      String topic,
      List<TextEvent> events,
      double rate,
      boolean injectBadRecord,
      AtomicBoolean stop) {
    super("rillet-demo-feeder");
    setDaemon(true);
    this.servers = servers;
    this.topic = topic;
    this.events = events;
    this.intervalNanos = (long) (1e9 / rate);
    this.injectBadRecord = injectBadRecord;
    this.stop = stop;
  }

  /** How many events it feeds. */
  int eventCount() {
    return events.size();
  }

  /** True once the feeder has ended: every event sent, stopped, or failed. */
  boolean done() {
    return done;
  }

  /** Why feeding failed, or null. */
  Exception failure() {
    return failure;
  }

  @Override
  public void run() {
    try (KafkaProducer<byte[], byte[]> producer = OrderedProducers.create(servers)) {
      if (injectBadRecord) {
        // Shows the dead-letter path: bytes that are not an Avro TextEvent.
        producer.send(
            new ProducerRecord<>(
                topic,
                "broken".getBytes(StandardCharsets.UTF_8),
                "this is not Avro".getBytes(StandardCharsets.UTF_8)));
      }
      long next = System.nanoTime();
      for (TextEvent e : events) {
        if (stop.get()) {
          return;
        }
        long wait = next - System.nanoTime();
        if (wait > 0) {
          TimeUnit.NANOSECONDS.sleep(wait); // pacing the feed, not synchronisation
        }
        next += intervalNanos;
        byte[] value = TextEvent.getEncoder().encode(e).array();
        producer.send(
            new ProducerRecord<>(
                topic,
                null,
                e.getEventTime(),
                e.getStreamId().getBytes(StandardCharsets.UTF_8),
                value));
      }
      producer.flush();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (Exception e) {
      failure = e;
    } finally {
      done = true;
    }
  }
}
