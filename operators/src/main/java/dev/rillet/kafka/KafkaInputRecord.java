package dev.rillet.kafka;

import dev.rillet.avro.TextEvent;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Objects;
import org.apache.flink.annotation.PublicEvolving;

/**
 * One Kafka record exactly as read: where it came from and its raw key and value bytes. Decoding
 * happens downstream ({@link TextEventDecoder}) so that a record that cannot be decoded still
 * reaches the dead-letter topic whole, instead of failing the source.
 *
 * <p>The source also reads the event time out of the value ({@link #eventTime}), so that event-time
 * watermarks can be generated per Kafka partition inside the source ({@link InputWatermarks}).
 *
 * <p>A Flink POJO (public fields, no-arg constructor) so it is serialized by Flink's POJO
 * serializer, never Kryo.
 */
@PublicEvolving
public final class KafkaInputRecord {
  /** {@link #eventTime} of a record whose value is not a valid TextEvent. */
  public static final long NO_EVENT_TIME = Long.MIN_VALUE;

  public String topic;
  public int partition;
  public long offset;

  /** The record's Kafka timestamp, epoch milliseconds. */
  public long timestamp;

  /** Key bytes; null if the record has no key. */
  public byte[] key;

  /** Value bytes; null for a tombstone. */
  public byte[] value;

  /**
   * The eventTime of the TextEvent in {@link #value} when {@link TextEventDecoder} accepts it, else
   * {@link #NO_EVENT_TIME}: a record that will be dead-lettered has no event time and never moves
   * the watermark.
   */
  public long eventTime = NO_EVENT_TIME;

  public KafkaInputRecord() {}

  /** A record whose event time is not known ({@link #NO_EVENT_TIME}). */
  public KafkaInputRecord(
      String topic, int partition, long offset, long timestamp, byte[] key, byte[] value) {
    this(topic, partition, offset, timestamp, key, value, NO_EVENT_TIME);
  }

  public KafkaInputRecord(
      String topic,
      int partition,
      long offset,
      long timestamp,
      byte[] key,
      byte[] value,
      long eventTime) {
    this.topic = topic;
    this.partition = partition;
    this.offset = offset;
    this.timestamp = timestamp;
    this.key = key;
    this.value = value;
    this.eventTime = eventTime;
  }

  /**
   * {@code event} as the input topic holds it, for inputs that are not read from Kafka (a replayed
   * file, an evaluation corpus): partition 0, offset {@code offset}, key = streamId, timestamp =
   * eventTime, the value Avro single-object encoded.
   */
  public static KafkaInputRecord of(String topic, long offset, TextEvent event) {
    byte[] value;
    try {
      value = TextEvent.getEncoder().encode(event).array();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return new KafkaInputRecord(
        topic,
        0,
        offset,
        event.getEventTime(),
        event.getStreamId().getBytes(StandardCharsets.UTF_8),
        value,
        event.getEventTime());
  }

  /** Whether {@link #eventTime} holds a valid event's time. */
  public boolean hasEventTime() {
    return eventTime != NO_EVENT_TIME;
  }

  @Override
  public boolean equals(Object o) {
    if (this == o) {
      return true;
    }
    if (!(o instanceof KafkaInputRecord)) {
      return false;
    }
    KafkaInputRecord r = (KafkaInputRecord) o;
    return partition == r.partition
        && offset == r.offset
        && timestamp == r.timestamp
        && eventTime == r.eventTime
        && Objects.equals(topic, r.topic)
        && Arrays.equals(key, r.key)
        && Arrays.equals(value, r.value);
  }

  @Override
  public int hashCode() {
    return Objects.hash(topic, partition, offset);
  }

  @Override
  public String toString() {
    return topic
        + "-"
        + partition
        + "@"
        + offset
        + " (ts "
        + timestamp
        + ", key "
        + (key == null ? "null" : key.length + " bytes")
        + ", value "
        + (value == null ? "null" : value.length + " bytes")
        + ")";
  }
}
