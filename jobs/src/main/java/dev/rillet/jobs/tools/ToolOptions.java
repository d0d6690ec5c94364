package dev.rillet.jobs.tools;

import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.configuration.ConfigOptions;

/** Options shared by the local tools ({@code kafka}, {@code produce}, {@code dump}). */
final class ToolOptions {
  private ToolOptions() {}

  static final ConfigOption<String> BOOTSTRAP_SERVERS =
      ConfigOptions.key("bootstrap-servers")
          .stringType()
          .defaultValue("localhost:9092")
          .withDescription("Kafka bootstrap servers (default: the broker of ./rillet kafka).");

  static final ConfigOption<String> TOPIC =
      ConfigOptions.key("topic").stringType().noDefaultValue().withDescription("The topic.");

  static String required(
      org.apache.flink.configuration.Configuration conf, ConfigOption<String> o) {
    String v = conf.get(o);
    if (v == null || v.isBlank()) {
      throw new IllegalArgumentException("--" + o.key() + " is required");
    }
    return v;
  }
}
