package dev.rillet.jobs.tools;

import dev.rillet.avro.RejectedRecord;
import dev.rillet.avro.SentenceAnalysis;
import dev.rillet.avro.StreamSentiment;
import dev.rillet.avro.TextEvent;
import dev.rillet.avro.TokenTag;
import dev.rillet.jobs.cli.Command;
import dev.rillet.jobs.cli.CommandContext;
import dev.rillet.kafka.AvroJson;
import dev.rillet.kafka.KafkaClientConfig;
import dev.rillet.kafka.KafkaOptions;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.OutputStreamWriter;
import java.io.PrintStream;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Properties;
import org.apache.avro.message.BinaryMessageDecoder;
import org.apache.avro.specific.SpecificRecord;
import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.configuration.ConfigOptions;
import org.apache.flink.configuration.Configuration;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * {@code rillet dump}: writes a topic's committed records (read_committed) as JSON lines, partition
 * by partition in offset order, and stops at the end offsets seen at start. Values are decoded as
 * whichever Rillet record type their Avro header names.
 */
public final class DumpCommand implements Command {
  static final ConfigOption<String> OUTPUT =
      ConfigOptions.key("output")
          .stringType()
          .noDefaultValue()
          .withDescription("File to write the JSON lines to; - for standard output.");

  private static final List<BinaryMessageDecoder<? extends SpecificRecord>> DECODERS =
      List.of(
          TokenTag.getDecoder(),
          StreamSentiment.getDecoder(),
          SentenceAnalysis.getDecoder(),
          RejectedRecord.getDecoder(),
          TextEvent.getDecoder());

  @Override
  public String name() {
    return "dump";
  }

  @Override
  public String summary() {
    return "Write a topic's committed records as JSON lines, up to its current end.";
  }

  @Override
  public List<ConfigOption<?>> options() {
    return List.of(
        ToolOptions.TOPIC, OUTPUT, ToolOptions.BOOTSTRAP_SERVERS, KafkaOptions.CLIENT_CONFIG);
  }

  @Override
  public int run(CommandContext context, Configuration conf) throws Exception {
    String topic = ToolOptions.required(conf, ToolOptions.TOPIC);
    String output = ToolOptions.required(conf, OUTPUT);
    Properties p =
        KafkaClientConfig.from(conf)
            .properties(KafkaClientConfig.Client.CONSUMER, conf.get(ToolOptions.BOOTSTRAP_SERVERS));
    p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
    long written = 0;
    long undecodable = 0;
    try (KafkaConsumer<byte[], byte[]> consumer =
            new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer());
        Writer out = open(output, context.out())) {
      var infos = consumer.partitionsFor(topic, Duration.ofSeconds(30));
      if (infos == null || infos.isEmpty()) {
        throw new IllegalArgumentException("--topic " + topic + ": no such topic");
      }
      for (var info : infos) {
        TopicPartition tp = new TopicPartition(topic, info.partition());
        List<TopicPartition> one = List.of(tp);
        consumer.assign(one);
        consumer.seekToBeginning(one);
        // read_committed end offset = last stable offset: nothing committed lies beyond it.
        long end = consumer.endOffsets(one).get(tp);
        while (consumer.position(tp) < end) {
          for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(500))) {
            if (r.offset() >= end) {
              break;
            }
            SpecificRecord value = decode(r.value());
            if (value == null) {
              undecodable++;
              continue;
            }
            out.write(AvroJson.toJson(value));
            out.write('\n');
            written++;
          }
        }
      }
    }
    context
        .err()
        .println(
            "rillet dump: "
                + written
                + " records of "
                + topic
                + (undecodable > 0 ? " (" + undecodable + " not Rillet Avro records, skipped)" : "")
                + (output.equals("-") ? "" : " -> " + output));
    return 0;
  }

  /** The file {@code output}, or {@code stdout} (left open on close) when it is "-". */
  private static Writer open(String output, PrintStream stdout) throws IOException {
    if (output.equals("-")) {
      return new BufferedWriter(new OutputStreamWriter(stdout, StandardCharsets.UTF_8)) {
        @Override
        public void close() throws IOException {
          flush(); // leave the command's out open
        }
      };
    }
    return Files.newBufferedWriter(Path.of(output), StandardCharsets.UTF_8);
  }

  /** The value as the Rillet record type whose schema fingerprint its header carries. */
  private static SpecificRecord decode(byte[] value) {
    if (value == null) {
      return null;
    }
    for (BinaryMessageDecoder<? extends SpecificRecord> d : DECODERS) {
      try {
        return d.decode(value);
      } catch (IOException | RuntimeException wrongType) {
        // another schema's fingerprint (or not Avro at all): try the next type
      }
    }
    return null;
  }
}
