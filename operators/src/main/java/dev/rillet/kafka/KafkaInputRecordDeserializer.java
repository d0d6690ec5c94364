package dev.rillet.kafka;

import dev.rillet.avro.TextEvent;
import org.apache.avro.message.BinaryMessageDecoder;
import org.apache.flink.annotation.Internal;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.connector.kafka.source.reader.deserializer.KafkaRecordDeserializationSchema;
import org.apache.flink.util.Collector;
import org.apache.kafka.clients.consumer.ConsumerRecord;

/**
 * Wraps every consumed record into a {@link KafkaInputRecord} and never throws: a bad record cannot
 * fail (and endlessly restart) the source. The bytes pass through untouched for the downstream
 * {@link TextEventDecoder}; the value is also read here, by the decoder's own rules, only to fill
 * in {@link KafkaInputRecord#eventTime}, so that the source can generate event-time watermarks per
 * partition ({@link InputWatermarks}). A record the decoder would reject gets no event time.
 */
@Internal
public final class KafkaInputRecordDeserializer
    implements KafkaRecordDeserializationSchema<KafkaInputRecord> {
  private static final long serialVersionUID = 1L;

  private final int maxEventChars;

  private transient BinaryMessageDecoder<TextEvent> decoder;

  /** A deserializer with the decoder's default {@link TextEventDecoder#MAX_EVENT_CHARS}. */
  public KafkaInputRecordDeserializer() {
    this(TextEventDecoder.MAX_EVENT_CHARS.defaultValue());
  }

  /**
   * @param maxEventChars the limit of the {@link TextEventDecoder} downstream, so that an event it
   *     will reject as too long gets no event time either
   */
  public KafkaInputRecordDeserializer(int maxEventChars) {
    this.maxEventChars = TextEventDecoder.checkMaxEventChars(maxEventChars);
  }

  @Override
  public void deserialize(ConsumerRecord<byte[], byte[]> record, Collector<KafkaInputRecord> out) {
    if (decoder == null) {
      decoder = TextEventDecoder.newDecoder();
    }
    out.collect(
        new KafkaInputRecord(
            record.topic(),
            record.partition(),
            record.offset(),
            record.timestamp(),
            record.key(),
            record.value(),
            TextEventDecoder.eventTimeOf(decoder, record.value(), maxEventChars)));
  }

  @Override
  public TypeInformation<KafkaInputRecord> getProducedType() {
    return TypeInformation.of(KafkaInputRecord.class);
  }
}
