package dev.rillet.kafka;

import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.connector.kafka.source.reader.deserializer.KafkaRecordDeserializationSchema;
import org.apache.flink.util.Collector;
import org.apache.kafka.clients.consumer.ConsumerRecord;

/**
 * Wraps every consumed record into a {@link KafkaInputRecord} without looking at its bytes, so it
 * never throws: a bad record cannot fail (and endlessly restart) the source.
 */
public final class KafkaInputRecordDeserializer
    implements KafkaRecordDeserializationSchema<KafkaInputRecord> {
  private static final long serialVersionUID = 1L;

  @Override
  public void deserialize(ConsumerRecord<byte[], byte[]> record, Collector<KafkaInputRecord> out) {
    out.collect(
        new KafkaInputRecord(
            record.topic(),
            record.partition(),
            record.offset(),
            record.timestamp(),
            record.key(),
            record.value()));
  }

  @Override
  public TypeInformation<KafkaInputRecord> getProducedType() {
    return TypeInformation.of(KafkaInputRecord.class);
  }
}
