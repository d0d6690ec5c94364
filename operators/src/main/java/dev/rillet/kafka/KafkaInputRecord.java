package dev.rillet.kafka;

import java.util.Arrays;
import java.util.Objects;

/**
 * One Kafka record exactly as read: where it came from and its raw key and value bytes. Decoding
 * happens downstream ({@link TextEventDecoder}) so that a record that cannot be decoded still
 * reaches the dead-letter topic whole, instead of failing the source.
 *
 * <p>A Flink POJO (public fields, no-arg constructor) so it is serialized by Flink's POJO
 * serializer, never Kryo.
 */
public final class KafkaInputRecord {
  public String topic;
  public int partition;
  public long offset;

  /** The record's Kafka timestamp, epoch milliseconds. */
  public long timestamp;

  /** Key bytes; null if the record has no key. */
  public byte[] key;

  /** Value bytes; null for a tombstone. */
  public byte[] value;

  public KafkaInputRecord() {}

  public KafkaInputRecord(
      String topic, int partition, long offset, long timestamp, byte[] key, byte[] value) {
    this.topic = topic;
    this.partition = partition;
    this.offset = offset;
    this.timestamp = timestamp;
    this.key = key;
    this.value = value;
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
