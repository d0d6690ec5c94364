package dev.rillet.kafka;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Objects;
import org.apache.avro.Schema;
import org.apache.avro.message.BinaryMessageEncoder;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificRecord;
import org.apache.flink.annotation.Internal;
import org.apache.flink.api.common.serialization.SerializationSchema;
import org.apache.flink.connector.kafka.sink.KafkaRecordSerializationSchema;
import org.apache.flink.util.function.SerializableFunction;
import org.apache.kafka.clients.producer.ProducerRecord;

/**
 * Writes records of one Avro type to one topic in Rillet's wire format: the value is Avro binary
 * single-object encoding (header with the schema fingerprint, then the datum: what the generated
 * classes' {@code getDecoder()} reads), the key is the UTF-8 bytes of {@code keyFunction(record)}
 * (no key if the function is null or returns null), the timestamp is the Flink record's timestamp
 * or, with {@link OutputTimestamp#WRITE_TIME}, left to the producer (the time it writes). The
 * partition is left to Kafka's default partitioner, so equal keys share a partition.
 *
 * <p>The encoder and its output buffer are made in {@link #open} and reused for every record.
 */
@Internal
public final class AvroValueSerializationSchema<T extends SpecificRecord>
    implements KafkaRecordSerializationSchema<T> {
  private static final long serialVersionUID = 1L;

  static {
    AvroTrust.install();
  }

  private final String topic;
  private final Class<T> type;
  private final SerializableFunction<T, String> keyFunction;
  private final OutputTimestamp timestamp;

  private transient BinaryMessageEncoder<T> encoder;
  private transient ByteArrayOutputStream buffer;

  /**
   * @param topic the topic every record goes to
   * @param type the generated Avro class
   * @param keyFunction the record's key (e.g. {@code TextEvent::getStreamId}); may be null
   */
  public AvroValueSerializationSchema(
      String topic, Class<T> type, SerializableFunction<T, String> keyFunction) {
    this(topic, type, keyFunction, OutputTimestamp.EVENT_TIME);
  }

  /**
   * As {@link #AvroValueSerializationSchema(String, Class, SerializableFunction)}, with the
   * records' Kafka timestamp chosen by {@code timestamp}.
   */
  public AvroValueSerializationSchema(
      String topic,
      Class<T> type,
      SerializableFunction<T, String> keyFunction,
      OutputTimestamp timestamp) {
    this.topic = Objects.requireNonNull(topic, "topic");
    this.type = Objects.requireNonNull(type, "type");
    this.keyFunction = keyFunction;
    this.timestamp = Objects.requireNonNull(timestamp, "timestamp");
  }

  public String topic() {
    return topic;
  }

  @Override
  public void open(
      SerializationSchema.InitializationContext context, KafkaSinkContext sinkContext) {
    SpecificData model = SpecificData.getForClass(type);
    Schema schema = model.getSchema(type);
    encoder = new BinaryMessageEncoder<>(model, schema);
    buffer = new ByteArrayOutputStream(256);
  }

  @Override
  public ProducerRecord<byte[], byte[]> serialize(
      T element, KafkaSinkContext context, Long recordTimestamp) {
    if (encoder == null) {
      // Flink always calls open(); direct users (tools, tests) may not.
      open(null, context);
    }
    buffer.reset();
    try {
      encoder.encode(element, buffer);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot encode " + type.getSimpleName() + " for " + topic, e);
    }
    String key = keyFunction == null ? null : keyFunction.apply(element);
    return new ProducerRecord<>(
        topic,
        null,
        timestamp == OutputTimestamp.EVENT_TIME ? recordTimestamp : null,
        key == null ? null : key.getBytes(StandardCharsets.UTF_8),
        buffer.toByteArray());
  }
}
