package dev.rillet.jobs.demo;

import java.util.List;
import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.configuration.ConfigOptions;

/** Options only the demo has; it also takes every pipeline option of the live job. */
public final class DemoOptions {
  private DemoOptions() {}

  public static final ConfigOption<String> INPUT =
      ConfigOptions.key("input")
          .stringType()
          .noDefaultValue()
          .withDescription(
              "JSON-lines file, one TextEvent per line (streamId, seq, eventTime, text, optional"
                  + " endOfStream, optional attributes), or an Avro container file (.avro), fed instead"
                  + " of the shipped sample text. Every bad line is reported, with its number.");

  public static final ConfigOption<String> SINK_JSONL =
      ConfigOptions.key("sink-jsonl")
          .stringType()
          .noDefaultValue()
          .withDescription(
              "Also write every committed output record (tags, sentiment, sentences, dead"
                  + " letters) to this file, one JSON object per line: {\"topic\": ..., \"value\":"
                  + " {...}}.");

  public static final ConfigOption<Double> RATE =
      ConfigOptions.key("rate")
          .doubleType()
          .defaultValue(20.0)
          .withDescription("Events per second fed into the input topic.");

  public static final ConfigOption<Boolean> EXIT_WHEN_DONE =
      ConfigOptions.key("exit-when-done")
          .booleanType()
          .defaultValue(false)
          .withDescription(
              "Stop once all input has been fed and its outputs are committed, instead of"
                  + " running until Ctrl-C.");

  public static final ConfigOption<Integer> KAFKA_PORT =
      ConfigOptions.key("kafka-port")
          .intType()
          .defaultValue(0)
          .withDescription(
              "Port of the in-process Kafka broker (0 = any free port). Other clients can connect"
                  + " to it while the demo runs.");

  public static final ConfigOption<Integer> PARTITIONS =
      ConfigOptions.key("partitions")
          .intType()
          .defaultValue(4)
          .withDescription("Partitions of every topic the demo creates.");

  public static List<ConfigOption<?>> all() {
    return List.of(INPUT, SINK_JSONL, RATE, EXIT_WHEN_DONE, KAFKA_PORT, PARTITIONS);
  }
}
