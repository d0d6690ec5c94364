package dev.rillet.kafka;

import dev.rillet.avro.ModelUpdate;
import java.io.IOException;
import java.util.regex.Pattern;
import org.apache.avro.message.BinaryMessageDecoder;
import org.apache.flink.annotation.Experimental;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.configuration.ReadableConfig;
import org.apache.flink.connector.kafka.source.KafkaSource;
import org.apache.flink.connector.kafka.source.KafkaSourceBuilder;
import org.apache.flink.connector.kafka.source.enumerator.initializer.OffsetsInitializer;
import org.apache.flink.connector.kafka.source.reader.deserializer.KafkaRecordDeserializationSchema;
import org.apache.flink.formats.avro.typeutils.AvroTypeInfo;
import org.apache.flink.util.Collector;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The model-control topic ({@link KafkaOptions#MODEL_UPDATES_TOPIC}): {@link ModelUpdate} values,
 * Avro single-object encoded like every Rillet topic, no key.
 *
 * <p><b>Where the job starts reading.</b> At the records written from the job's launch time on
 * ({@code fromMillis}, taken once when the job is built), not at the earliest record and not at
 * "latest": earliest would replay every old update over a job started with an explicit {@code
 * --model}, latest would lose an update written while the job was starting. A failover before the
 * first checkpoint starts at the same time again; from a checkpoint or savepoint the source resumes
 * at its checkpointed offsets, so an update is never applied twice or missed.
 *
 * <p>The topic is subscribed by pattern, so a job starts while it does not exist yet; it is found
 * within {@link #DISCOVERY_INTERVAL_MS} of its creation and then read from its beginning.
 */
@Experimental
public final class ModelUpdates {
  static {
    AvroTrust.install();
  }

  /** How often the source looks for the topic (or new partitions of it), in milliseconds. */
  public static final long DISCOVERY_INTERVAL_MS = 10_000;

  private ModelUpdates() {}

  /**
   * A source of the model-control topic named in {@code config}, from {@code fromMillis} on; the
   * bootstrap servers, group id (suffixed {@code -model-updates}) and Kafka client settings are the
   * job's.
   */
  public static KafkaSource<ModelUpdate> source(ReadableConfig config, long fromMillis) {
    String topic = config.get(KafkaOptions.MODEL_UPDATES_TOPIC);
    if (topic == null || topic.isBlank()) {
      throw new IllegalArgumentException(
          "--" + KafkaOptions.MODEL_UPDATES_TOPIC.key() + " is empty: model updates are off");
    }
    String servers =
        config
            .getOptional(KafkaOptions.BOOTSTRAP_SERVERS)
            .orElseThrow(
                () ->
                    new IllegalStateException(
                        "the model-updates source needs --"
                            + KafkaOptions.BOOTSTRAP_SERVERS.key()));
    KafkaSourceBuilder<ModelUpdate> b = KafkaSource.<ModelUpdate>builder();
    KafkaClientConfig.from(config)
        .forClient(KafkaClientConfig.Client.CONSUMER)
        .forEach(b::setProperty);
    return b.setBootstrapServers(servers)
        .setTopicPattern(Pattern.compile(Pattern.quote(topic)))
        .setGroupId(config.get(KafkaOptions.GROUP_ID) + "-model-updates")
        .setStartingOffsets(OffsetsInitializer.timestamp(fromMillis))
        .setDeserializer(new Deserializer())
        .setProperty(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed")
        .setProperty("partition.discovery.interval.ms", Long.toString(DISCOVERY_INTERVAL_MS))
        .build();
  }

  /** Encodes an update as the topic holds it. */
  public static byte[] encode(ModelUpdate update) {
    try {
      return ModelUpdate.getEncoder().encode(update).array();
    } catch (IOException e) {
      throw new IllegalStateException("cannot encode " + update, e);
    }
  }

  /**
   * Decodes the topic's values; a value that is not a ModelUpdate is logged and skipped (a bad
   * control record must not fail, and endlessly restart, the job that serves the data).
   */
  static final class Deserializer implements KafkaRecordDeserializationSchema<ModelUpdate> {
    private static final long serialVersionUID = 1L;
    private static final Logger LOG = LoggerFactory.getLogger(ModelUpdates.class);

    private transient BinaryMessageDecoder<ModelUpdate> decoder;

    @Override
    public void deserialize(ConsumerRecord<byte[], byte[]> record, Collector<ModelUpdate> out) {
      if (decoder == null) {
        decoder = ModelUpdate.getDecoder();
      }
      try {
        out.collect(decoder.decode(record.value()));
      } catch (IOException | RuntimeException e) {
        LOG.error(
            "Skipping record {}-{}@{} of the model-control topic: not a ModelUpdate ({}); write"
                + " updates with ./rillet model-update",
            record.topic(),
            record.partition(),
            record.offset(),
            e.toString());
      }
    }

    @Override
    public TypeInformation<ModelUpdate> getProducedType() {
      return new AvroTypeInfo<>(ModelUpdate.class);
    }
  }
}
