package dev.rillet.jobs.pipeline;

import dev.rillet.kafka.KafkaOptions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.configuration.ConfigOptions;

/** Options of {@code rillet backfill}; their keys are its command-line flags. */
public final class BackfillOptions {
  private BackfillOptions() {}

  public static final ConfigOption<String> FROM =
      ConfigOptions.key("from")
          .stringType()
          .noDefaultValue()
          .withDescription(
              "Start of the range to backfill (inclusive): an ISO-8601 instant such as"
                  + " 2024-05-01T12:00:00Z, or epoch milliseconds. Required.");

  public static final ConfigOption<String> TO =
      ConfigOptions.key("to")
          .stringType()
          .noDefaultValue()
          .withDescription(
              "End of the range (exclusive), same forms as --from; not in the future. Required.");

  public static final ConfigOption<Duration> WARMUP =
      ConfigOptions.key("warmup")
          .durationType()
          .defaultValue(Duration.ofMinutes(30))
          .withDescription(
              "Input before --from read to rebuild each stream's state; their outputs are not"
                  + " written. Streams that started before from - warmup are reported, since their"
                  + " outputs can differ from the live job's. ISO-8601 (PT30M) or 30min.");

  public static final ConfigOption<String> OUTPUT_SUFFIX =
      ConfigOptions.key("output-suffix")
          .stringType()
          .defaultValue(".backfill")
          .withDescription(
              "Appended to every output topic name (tags, sentiment, sentences, dead letters) so a"
                  + " backfill never writes into the live topics.");

  public static final ConfigOption<Boolean> WRITE_LIVE_TOPICS =
      ConfigOptions.key("write-live-topics")
          .booleanType()
          .defaultValue(false)
          .withDescription(
              "Write to the live output topics themselves (no suffix). Consumers of those topics"
                  + " then see the range's outputs a second time.");

  public static final ConfigOption<String> INPUT_FILE =
      ConfigOptions.key("input-file")
          .stringType()
          .noDefaultValue()
          .withDescription(
              "Replay this file instead of the input topic: JSON lines of TextEvent (as demo"
                  + " --input) or an Avro container file of TextEvent (.avro). The range applies"
                  + " to eventTime; events keep the file's order.");

  public static final ConfigOption<String> RUN_ID =
      ConfigOptions.key("run-id")
          .stringType()
          .noDefaultValue()
          .withDescription(
              "Names this run's consumer group and Kafka transactional ids (rillet-backfill-<id>)."
                  + " Default: made from the start time, so every run has its own.");

  /** Every option of the command, in the order --help lists them. */
  public static List<ConfigOption<?>> all() {
    List<ConfigOption<?>> options =
        new ArrayList<>(
            List.of(FROM, TO, WARMUP, OUTPUT_SUFFIX, WRITE_LIVE_TOPICS, INPUT_FILE, RUN_ID));
    for (ConfigOption<?> o : KafkaOptions.all()) {
      // The run picks its own group, transactional ids and start; the others are the live job's.
      if (o != KafkaOptions.GROUP_ID
          && o != KafkaOptions.TRANSACTIONAL_ID_PREFIX
          && o != KafkaOptions.STARTING_OFFSETS) {
        options.add(o);
      }
    }
    for (ConfigOption<?> o : PipelineOptions.all()) {
      // A batch run takes no checkpoints and has no watermarks before the end of its input.
      if (o != PipelineOptions.CHECKPOINT_INTERVAL
          && o != PipelineOptions.MAX_OUT_OF_ORDERNESS
          && o != PipelineOptions.SOURCE_IDLE_TIMEOUT) {
        options.add(o);
      }
    }
    options.addAll(SentenceOptions.all());
    return options;
  }
}
