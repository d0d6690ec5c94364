package dev.rillet.kafka;

import dev.rillet.avro.RejectedRecord;
import dev.rillet.avro.TextEvent;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.apache.avro.specific.SpecificRecord;
import org.apache.flink.annotation.PublicEvolving;
import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.configuration.ReadableConfig;
import org.apache.flink.connector.base.DeliveryGuarantee;
import org.apache.flink.connector.kafka.sink.KafkaSink;
import org.apache.flink.connector.kafka.sink.KafkaSinkBuilder;
import org.apache.flink.connector.kafka.source.KafkaSource;
import org.apache.flink.connector.kafka.source.KafkaSourceBuilder;
import org.apache.flink.connector.kafka.source.enumerator.initializer.OffsetsInitializer;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;
import org.apache.flink.util.function.SerializableFunction;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;

/**
 * Builds Rillet's Kafka sources and sinks. Every topic's values are Avro single-object encoded,
 * keys are streamIds (UTF-8).
 *
 * <pre>{@code
 * KafkaSource<KafkaInputRecord> source = RilletKafka.source(config).build();
 * SingleOutputStreamOperator<TextEvent> events =
 *     RilletKafka.decode(env.fromSource(source, InputWatermarks.strategy(lateness, idle), "input"));
 * events.getSideOutput(TextEventDecoder.REJECTED).sinkTo(RilletKafka.deadLetterSink(config).build());
 * tags.sinkTo(RilletKafka.sink(TokenTag.class, config, KafkaOptions.TAGS_TOPIC)
 *     .key(TokenTag::getStreamId).build());
 * }</pre>
 *
 * <p>{@code build()} checks that nothing required is missing and says what is.
 */
@PublicEvolving
public final class RilletKafka {
  static {
    AvroTrust.install();
  }

  private RilletKafka() {}

  /** An empty source builder: set bootstrap servers, topic and group id. */
  public static SourceBuilder source() {
    return new SourceBuilder();
  }

  /**
   * A source of the {@link KafkaOptions#INPUT_TOPIC input topic} configured from {@code config}:
   * bootstrap servers, topic, group id, starting offsets and {@link
   * TextEventDecoder#MAX_EVENT_CHARS}.
   */
  public static SourceBuilder source(ReadableConfig config) {
    SourceBuilder b = new SourceBuilder();
    config.getOptional(KafkaOptions.BOOTSTRAP_SERVERS).ifPresent(b::bootstrapServers);
    return b.topic(config.get(KafkaOptions.INPUT_TOPIC))
        .maxEventChars(config.get(TextEventDecoder.MAX_EVENT_CHARS))
        .groupId(config.get(KafkaOptions.GROUP_ID))
        .startingOffsets(config.get(KafkaOptions.STARTING_OFFSETS))
        .clientConfig(KafkaClientConfig.from(config));
  }

  /** An empty sink builder for records of {@code type}. */
  public static <T extends SpecificRecord> SinkBuilder<T> sink(Class<T> type) {
    return new SinkBuilder<>(type);
  }

  /**
   * A sink of {@code type} records to the topic named by {@code topicOption}, configured from
   * {@code config}: bootstrap servers, delivery guarantee, transaction timeout, output timestamp,
   * and transactional id prefix {@code <transactional-id-prefix>-<topic>} (distinct per sink, since
   * two sinks with one prefix would fence each other's transactions), and the producer settings of
   * {@link KafkaOptions#CLIENT_CONFIG}. Set the key function yourself.
   */
  public static <T extends SpecificRecord> SinkBuilder<T> sink(
      Class<T> type, ReadableConfig config, ConfigOption<String> topicOption) {
    SinkBuilder<T> b = new SinkBuilder<>(type);
    config.getOptional(KafkaOptions.BOOTSTRAP_SERVERS).ifPresent(b::bootstrapServers);
    String topic = config.get(topicOption);
    return b.topic(topic)
        .deliveryGuarantee(config.get(KafkaOptions.DELIVERY_GUARANTEE))
        .transactionalIdPrefix(config.get(KafkaOptions.TRANSACTIONAL_ID_PREFIX) + "-" + topic)
        .transactionTimeout(config.get(KafkaOptions.TRANSACTION_TIMEOUT))
        .timestamp(config.get(KafkaOptions.OUTPUT_TIMESTAMP))
        .clientConfig(KafkaClientConfig.from(config));
  }

  /**
   * The dead-letter sink ({@link KafkaOptions#DEAD_LETTER_TOPIC}), configured from {@code config};
   * records have no key.
   */
  public static SinkBuilder<RejectedRecord> deadLetterSink(ReadableConfig config) {
    return sink(RejectedRecord.class, config, KafkaOptions.DEAD_LETTER_TOPIC);
  }

  /**
   * Decodes raw input records into valid {@link TextEvent}s; rejected records are on the side
   * output {@link TextEventDecoder#REJECTED} of the returned stream.
   */
  public static SingleOutputStreamOperator<TextEvent> decode(DataStream<KafkaInputRecord> raw) {
    return decode(raw, TextEventDecoder.MAX_EVENT_CHARS.defaultValue());
  }

  /** As {@link #decode(DataStream)}, rejecting events whose text is longer than the limit. */
  public static SingleOutputStreamOperator<TextEvent> decode(
      DataStream<KafkaInputRecord> raw, int maxEventChars) {
    return raw.process(new TextEventDecoder(maxEventChars)).name("decode").uid("rillet-decode");
  }

  /** Options of a {@code KafkaSource<KafkaInputRecord>}. */
  public static final class SourceBuilder {
    private String bootstrapServers;
    private String topic;
    private String groupId;
    private OffsetsInitializer startingOffsets = OffsetsInitializer.earliest();
    private OffsetsInitializer stoppingOffsets;
    private int maxEventChars = TextEventDecoder.MAX_EVENT_CHARS.defaultValue();
    private final Map<String, String> properties = new LinkedHashMap<>();

    private SourceBuilder() {
      // Only committed records are input: an upstream transactional producer's aborted writes
      // must never be processed.
      properties.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    }

    public SourceBuilder bootstrapServers(String bootstrapServers) {
      this.bootstrapServers = bootstrapServers;
      return this;
    }

    /** Adds the consumer settings of a user's Kafka client file (security, tuning). */
    public SourceBuilder clientConfig(KafkaClientConfig clientConfig) {
      properties.putAll(clientConfig.forClient(KafkaClientConfig.Client.CONSUMER));
      return this;
    }

    public SourceBuilder topic(String topic) {
      this.topic = topic;
      return this;
    }

    public SourceBuilder groupId(String groupId) {
      this.groupId = groupId;
      return this;
    }

    /** Where to start without a checkpoint; default earliest. */
    public SourceBuilder startingOffsets(OffsetsInitializer startingOffsets) {
      this.startingOffsets = Objects.requireNonNull(startingOffsets, "startingOffsets");
      return this;
    }

    /** As {@link KafkaOptions#parseStartingOffsets(String)}. */
    public SourceBuilder startingOffsets(String spec) {
      return startingOffsets(KafkaOptions.parseStartingOffsets(spec));
    }

    /** Starts at the first record with timestamp {@code >= epochMillis}. */
    public SourceBuilder startingAt(long epochMillis) {
      return startingOffsets(OffsetsInitializer.timestamp(epochMillis));
    }

    /**
     * Makes the source bounded: it stops before the first record with timestamp {@code >=
     * epochMillis}, so with {@link #startingAt} it reads [start, stop).
     */
    public SourceBuilder stoppingAt(long epochMillis) {
      return bounded(OffsetsInitializer.timestamp(epochMillis));
    }

    /** Makes the source bounded, stopping at {@code stoppingOffsets} (e.g. latest). */
    public SourceBuilder bounded(OffsetsInitializer stoppingOffsets) {
      this.stoppingOffsets = Objects.requireNonNull(stoppingOffsets, "stoppingOffsets");
      return this;
    }

    /**
     * The {@link TextEventDecoder#MAX_EVENT_CHARS} of the decoder downstream: records it will
     * reject as too long take no part in the event time.
     */
    public SourceBuilder maxEventChars(int maxEventChars) {
      this.maxEventChars = TextEventDecoder.checkMaxEventChars(maxEventChars);
      return this;
    }

    /** Sets a Kafka consumer property (overrides Rillet's defaults). */
    public SourceBuilder property(String key, String value) {
      properties.put(key, value);
      return this;
    }

    public KafkaSource<KafkaInputRecord> build() {
      List<String> missing = new ArrayList<>();
      if (isBlank(bootstrapServers)) {
        missing.add("bootstrap servers (--" + KafkaOptions.BOOTSTRAP_SERVERS.key() + ")");
      }
      if (isBlank(topic)) {
        missing.add("topic (--" + KafkaOptions.INPUT_TOPIC.key() + ")");
      }
      if (isBlank(groupId)) {
        missing.add("group id (--" + KafkaOptions.GROUP_ID.key() + ")");
      }
      if (!missing.isEmpty()) {
        throw new IllegalStateException(
            "Kafka source is incomplete, missing: " + String.join(", ", missing));
      }
      KafkaSourceBuilder<KafkaInputRecord> b =
          KafkaSource.<KafkaInputRecord>builder()
              .setBootstrapServers(bootstrapServers)
              .setTopics(topic)
              .setGroupId(groupId)
              .setStartingOffsets(startingOffsets)
              .setDeserializer(new KafkaInputRecordDeserializer(maxEventChars));
      if (stoppingOffsets != null) {
        b.setBounded(stoppingOffsets);
      }
      properties.forEach(b::setProperty);
      return b.build();
    }
  }

  /** Options of a {@code KafkaSink<T>} writing Avro values of one type to one topic. */
  public static final class SinkBuilder<T extends SpecificRecord> {
    private final Class<T> type;
    private String bootstrapServers;
    private String topic;
    private SerializableFunction<T, String> key;
    private DeliveryGuarantee deliveryGuarantee = DeliveryGuarantee.EXACTLY_ONCE;
    private String transactionalIdPrefix;
    private Duration transactionTimeout = KafkaOptions.TRANSACTION_TIMEOUT.defaultValue();
    private OutputTimestamp timestamp = KafkaOptions.OUTPUT_TIMESTAMP.defaultValue();
    private final Map<String, String> properties = new LinkedHashMap<>();

    private SinkBuilder(Class<T> type) {
      this.type = Objects.requireNonNull(type, "type");
    }

    public SinkBuilder<T> bootstrapServers(String bootstrapServers) {
      this.bootstrapServers = bootstrapServers;
      return this;
    }

    /** Adds the producer settings of a user's Kafka client file (security, tuning). */
    public SinkBuilder<T> clientConfig(KafkaClientConfig clientConfig) {
      properties.putAll(clientConfig.forClient(KafkaClientConfig.Client.PRODUCER));
      return this;
    }

    public SinkBuilder<T> topic(String topic) {
      this.topic = topic;
      return this;
    }

    /** The record key, e.g. {@code TokenTag::getStreamId}; without one records have no key. */
    public SinkBuilder<T> key(SerializableFunction<T, String> key) {
      this.key = key;
      return this;
    }

    /** Default {@link DeliveryGuarantee#EXACTLY_ONCE}. */
    public SinkBuilder<T> deliveryGuarantee(DeliveryGuarantee deliveryGuarantee) {
      this.deliveryGuarantee = Objects.requireNonNull(deliveryGuarantee, "deliveryGuarantee");
      return this;
    }

    /** Required for EXACTLY_ONCE: unique per sink and application, stable across restarts. */
    public SinkBuilder<T> transactionalIdPrefix(String transactionalIdPrefix) {
      this.transactionalIdPrefix = transactionalIdPrefix;
      return this;
    }

    /** Producer {@code transaction.timeout.ms}; default 15 minutes. */
    public SinkBuilder<T> transactionTimeout(Duration transactionTimeout) {
      this.transactionTimeout = Objects.requireNonNull(transactionTimeout, "transactionTimeout");
      return this;
    }

    /** The records' Kafka timestamp; default {@link OutputTimestamp#EVENT_TIME}. */
    public SinkBuilder<T> timestamp(OutputTimestamp timestamp) {
      this.timestamp = Objects.requireNonNull(timestamp, "timestamp");
      return this;
    }

    /** Sets a Kafka producer property (overrides Rillet's defaults). */
    public SinkBuilder<T> property(String key, String value) {
      properties.put(key, value);
      return this;
    }

    public KafkaSink<T> build() {
      List<String> missing = new ArrayList<>();
      if (isBlank(bootstrapServers)) {
        missing.add("bootstrap servers (--" + KafkaOptions.BOOTSTRAP_SERVERS.key() + ")");
      }
      if (isBlank(topic)) {
        missing.add("topic");
      }
      if (deliveryGuarantee == DeliveryGuarantee.EXACTLY_ONCE && isBlank(transactionalIdPrefix)) {
        missing.add(
            "transactional id prefix (--"
                + KafkaOptions.TRANSACTIONAL_ID_PREFIX.key()
                + "), required by EXACTLY_ONCE");
      }
      if (transactionTimeout.isNegative() || transactionTimeout.isZero()) {
        missing.add("a positive transaction timeout (got " + transactionTimeout + ")");
      }
      if (!missing.isEmpty()) {
        throw new IllegalStateException(
            "Kafka sink of "
                + type.getSimpleName()
                + (isBlank(topic) ? "" : " to " + topic)
                + " is incomplete, missing: "
                + String.join(", ", missing));
      }
      KafkaSinkBuilder<T> b =
          KafkaSink.<T>builder()
              .setBootstrapServers(bootstrapServers)
              .setRecordSerializer(new AvroValueSerializationSchema<>(topic, type, key, timestamp))
              .setDeliveryGuarantee(deliveryGuarantee)
              .setProperty(
                  ProducerConfig.TRANSACTION_TIMEOUT_CONFIG,
                  Long.toString(transactionTimeout.toMillis()));
      if (!isBlank(transactionalIdPrefix)) {
        b.setTransactionalIdPrefix(transactionalIdPrefix);
      }
      properties.forEach(b::setProperty);
      return b.build();
    }
  }

  private static boolean isBlank(String s) {
    return s == null || s.isBlank();
  }
}
