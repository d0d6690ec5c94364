package dev.rillet.kafka;

import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.List;
import java.util.Locale;
import org.apache.flink.annotation.PublicEvolving;
import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.configuration.ConfigOptions;
import org.apache.flink.connector.base.DeliveryGuarantee;
import org.apache.flink.connector.kafka.source.enumerator.initializer.OffsetsInitializer;
import org.apache.kafka.clients.consumer.OffsetResetStrategy;

/**
 * Kafka settings of Rillet's jobs. Keys are short dash-case names, used as they are for command
 * line flags ({@code --bootstrap-servers}, {@code --input-topic}, ...).
 */
@PublicEvolving
public final class KafkaOptions {
  private KafkaOptions() {}

  public static final ConfigOption<String> BOOTSTRAP_SERVERS =
      ConfigOptions.key("bootstrap-servers")
          .stringType()
          .noDefaultValue()
          .withDescription("Kafka bootstrap servers, host:port[,host:port...].");

  public static final ConfigOption<String> INPUT_TOPIC =
      ConfigOptions.key("input-topic")
          .stringType()
          .defaultValue("rillet.text")
          .withDescription("Topic of the input TextEvents (Avro, key = streamId).");

  public static final ConfigOption<String> MODEL_UPDATES_TOPIC =
      ConfigOptions.key("model-updates-topic")
          .stringType()
          .noDefaultValue()
          .withDescription(
              "Model-control topic of the live job, e.g. rillet.model-updates: ModelUpdate"
                  + " records (written by ./rillet model-update) switch the tagger to another model"
                  + " package while the job runs. Read from the job's launch time on (from a"
                  + " checkpoint or savepoint: from where it was). The topic may be created later."
                  + " Not set (default): the job takes no model updates.");

  public static final ConfigOption<String> TAGS_TOPIC =
      ConfigOptions.key("tags-topic")
          .stringType()
          .defaultValue("rillet.tags")
          .withDescription("Topic of the real-time TokenTags.");

  public static final ConfigOption<String> SENTIMENT_TOPIC =
      ConfigOptions.key("sentiment-topic")
          .stringType()
          .defaultValue("rillet.sentiment")
          .withDescription("Topic of the per-event StreamSentiments.");

  public static final ConfigOption<String> SENTENCES_TOPIC =
      ConfigOptions.key("sentences-topic")
          .stringType()
          .defaultValue("rillet.sentences")
          .withDescription("Topic of the SentenceAnalyses of completed sentences.");

  public static final ConfigOption<String> DEAD_LETTER_TOPIC =
      ConfigOptions.key("dead-letter-topic")
          .stringType()
          .defaultValue("rillet.dead-letters")
          .withDescription(
              "Topic of the RejectedRecords: input records that could not be used, kept whole"
                  + " with the reason and their source topic/partition/offset.");

  public static final ConfigOption<String> GROUP_ID =
      ConfigOptions.key("group-id")
          .stringType()
          .defaultValue("rillet-live")
          .withDescription(
              "Consumer group id of the input source (offsets are committed on checkpoints, for"
                  + " monitoring and for starting-offsets=committed).");

  public static final ConfigOption<String> TRANSACTIONAL_ID_PREFIX =
      ConfigOptions.key("transactional-id-prefix")
          .stringType()
          .defaultValue("rillet-live")
          .withDescription(
              "Prefix of the Kafka transactional ids of the exactly-once sinks; each sink appends"
                  + " its topic. Must be unique per application and stable across restarts; give"
                  + " each backfill run its own.");

  public static final ConfigOption<String> STARTING_OFFSETS =
      ConfigOptions.key("starting-offsets")
          .stringType()
          .defaultValue("earliest")
          .withDescription(
              "Where the input source starts when there is no checkpoint: earliest, latest,"
                  + " committed (the group's committed offsets, else earliest), or a timestamp"
                  + " (epoch milliseconds or ISO-8601 instant, e.g. 2024-05-01T12:00:00Z).");

  public static final ConfigOption<DeliveryGuarantee> DELIVERY_GUARANTEE =
      ConfigOptions.key("delivery-guarantee")
          .enumType(DeliveryGuarantee.class)
          .defaultValue(DeliveryGuarantee.EXACTLY_ONCE)
          .withDescription(
              "Guarantee of the Kafka sinks. EXACTLY_ONCE writes in transactions committed on"
                  + " checkpoints (needs checkpointing; readers must use"
                  + " isolation.level=read_committed).");

  public static final ConfigOption<Duration> TRANSACTION_TIMEOUT =
      ConfigOptions.key("transaction-timeout")
          .durationType()
          .defaultValue(Duration.ofMinutes(15))
          .withDescription(
              "Producer transaction.timeout.ms of exactly-once sinks. Must exceed the longest"
                  + " checkpoint plus restart time, and not exceed the broker's"
                  + " transaction.max.timeout.ms (15 minutes by default).");

  public static final ConfigOption<OutputTimestamp> OUTPUT_TIMESTAMP =
      ConfigOptions.key("output-timestamp")
          .enumType(OutputTimestamp.class)
          .defaultValue(OutputTimestamp.EVENT_TIME)
          .withDescription(
              "Kafka timestamp of the output records. EVENT_TIME: the event time of the input"
                  + " that produced them (what event-time consumers of the topics expect)."
                  + " WRITE_TIME: when the sink writes them. Kafka's time-based retention"
                  + " deletes records by this timestamp: with EVENT_TIME, outputs of events"
                  + " older than an output topic's retention.ms are deleted at the broker's next"
                  + " retention check, so backfill old ranges with WRITE_TIME or a longer"
                  + " retention.");

  public static final ConfigOption<String> CLIENT_CONFIG =
      ConfigOptions.key("kafka-config")
          .stringType()
          .noDefaultValue()
          .withDescription(
              "A Kafka client properties file (as Kafka's tools take with --command-config):"
                  + " security.protocol, sasl.*, ssl.* and tuning such as linger.ms, for every"
                  + " Kafka client of the job and of this command. A key prefixed producer.,"
                  + " consumer. or admin. goes to that kind of client only. Settings Rillet owns"
                  + " (bootstrap.servers, group.id, isolation.level, transactional.id, ...) are"
                  + " refused. On a cluster the JobManager reads the file. docs/operations.md"
                  + " shows an example.");

  /**
   * Every option above but {@link #MODEL_UPDATES_TOPIC} (only the live job reads it), for help
   * output.
   */
  public static List<ConfigOption<?>> all() {
    return List.of(
        BOOTSTRAP_SERVERS,
        INPUT_TOPIC,
        TAGS_TOPIC,
        SENTIMENT_TOPIC,
        SENTENCES_TOPIC,
        DEAD_LETTER_TOPIC,
        GROUP_ID,
        TRANSACTIONAL_ID_PREFIX,
        STARTING_OFFSETS,
        DELIVERY_GUARANTEE,
        OUTPUT_TIMESTAMP,
        TRANSACTION_TIMEOUT,
        CLIENT_CONFIG);
  }

  /**
   * Parses a {@link #STARTING_OFFSETS} value: {@code earliest}, {@code latest}, {@code committed}
   * or a timestamp (epoch milliseconds or ISO-8601 instant).
   *
   * @throws IllegalArgumentException naming the option and the accepted forms
   */
  public static OffsetsInitializer parseStartingOffsets(String value) {
    String v = value == null ? "" : value.trim();
    switch (v.toLowerCase(Locale.ROOT)) {
      case "earliest":
        return OffsetsInitializer.earliest();
      case "latest":
        return OffsetsInitializer.latest();
      case "committed":
        return OffsetsInitializer.committedOffsets(OffsetResetStrategy.EARLIEST);
      default:
        try {
          return OffsetsInitializer.timestamp(parseTimestamp(STARTING_OFFSETS.key(), v));
        } catch (IllegalArgumentException e) {
          throw new IllegalArgumentException(
              STARTING_OFFSETS.key()
                  + ": '"
                  + value
                  + "' is not earliest, latest, committed, epoch milliseconds or an ISO-8601"
                  + " instant like 2024-05-01T12:00:00Z");
        }
    }
  }

  /**
   * Parses epoch milliseconds or an ISO-8601 instant ({@code 2024-05-01T12:00:00Z}, offsets
   * allowed).
   *
   * @param what the option or field being parsed, for the error message
   */
  public static long parseTimestamp(String what, String value) {
    String v = value == null ? "" : value.trim();
    if (!v.isEmpty() && v.chars().allMatch(Character::isDigit)) {
      try {
        return Long.parseLong(v);
      } catch (NumberFormatException e) {
        // too many digits: fall through to the error below
      }
    } else {
      try {
        return Instant.parse(v).toEpochMilli();
      } catch (DateTimeParseException e) {
        // fall through to the error below
      }
    }
    throw new IllegalArgumentException(
        what
            + ": '"
            + value
            + "' is neither epoch milliseconds nor an ISO-8601 instant like"
            + " 2024-05-01T12:00:00Z");
  }
}
