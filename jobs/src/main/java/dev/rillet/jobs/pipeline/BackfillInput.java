package dev.rillet.jobs.pipeline;

import dev.rillet.avro.TextEvent;
import dev.rillet.jobs.cli.TextEventFiles;
import dev.rillet.kafka.KafkaClientConfig;
import dev.rillet.kafka.KafkaInputRecord;
import dev.rillet.kafka.KafkaOptions;
import dev.rillet.kafka.RilletKafka;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.connector.kafka.source.KafkaSource;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ListOffsetsOptions;
import org.apache.kafka.clients.admin.ListOffsetsResult;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.common.IsolationLevel;
import org.apache.kafka.common.TopicPartition;

/**
 * Where a backfill's records come from: the input topic read by record timestamp, or a file. Either
 * way the result is raw {@link KafkaInputRecord}s in each stream's original order, for the live
 * pipeline's decoder.
 */
public final class BackfillInput {
  private BackfillInput() {}

  /** The records to read and how many there are (an estimate for Kafka: offsets in the range). */
  public record Plan(DataStream<KafkaInputRecord> records, long estimatedTotal) {}

  /**
   * The input topic from {@code readFrom} to {@code to} by record timestamp: a bounded Kafka source
   * (read_committed) with this run's consumer group.
   */
  public static Plan kafka(
      StreamExecutionEnvironment env, Configuration conf, BackfillRange range, String groupId) {
    KafkaSource<KafkaInputRecord> source =
        RilletKafka.source(conf)
            .groupId(groupId)
            .startingAt(range.readFrom())
            .stoppingAt(range.to())
            .build();
    long total =
        estimate(
            KafkaClientConfig.from(conf),
            conf.get(KafkaOptions.BOOTSTRAP_SERVERS),
            conf.get(KafkaOptions.INPUT_TOPIC),
            range.readFrom(),
            range.to());
    DataStream<KafkaInputRecord> records =
        LiveJob.read(env, conf, source)
            .map(new RecordCounter())
            .name("count-input")
            .uid("count-input");
    return new Plan(records, total);
  }

  /**
   * The events of {@code file} with eventTime in [readFrom, to), in file order, encoded as the
   * input topic's records (partition 0, offset = event number in the file, timestamp = eventTime).
   *
   * <p>The file is read here, before the job starts, so a bad line fails the run at once with its
   * line number; the selected events travel inside the job, so very large files are better produced
   * to a topic first ({@code rillet produce}).
   */
  public static Plan file(
      StreamExecutionEnvironment env, Configuration conf, Path file, BackfillRange range)
      throws IOException {
    List<TextEvent> events = new ArrayList<>();
    for (TextEvent e : TextEventFiles.read(file, "--input-file")) {
      if (e.getEventTime() >= range.readFrom() && e.getEventTime() < range.to()) {
        events.add(e);
      }
    }
    String topic = "file:" + file.getFileName();
    List<KafkaInputRecord> records = new ArrayList<>(events.size());
    for (TextEvent e : events) {
      records.add(KafkaInputRecord.of(topic, records.size(), e));
    }
    DataStream<KafkaInputRecord> byStream =
        LiveJob.read(env, conf, records, "input-file")
            .map(new RecordCounter())
            .name("count-input")
            .uid("count-input");
    return new Plan(byStream, records.size());
  }

  /** Records of {@code topic} between the first offsets at {@code from} and at {@code to}. */
  static long estimate(
      KafkaClientConfig clients, String bootstrapServers, String topic, long from, long to) {
    try (Admin admin =
        Admin.create(clients.properties(KafkaClientConfig.Client.ADMIN, bootstrapServers))) {
      var description = admin.describeTopics(List.of(topic)).allTopicNames().get().get(topic);
      Map<TopicPartition, OffsetSpec> atFrom = new HashMap<>();
      Map<TopicPartition, OffsetSpec> atTo = new HashMap<>();
      Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
      for (var p : description.partitions()) {
        TopicPartition tp = new TopicPartition(topic, p.partition());
        atFrom.put(tp, OffsetSpec.forTimestamp(from));
        atTo.put(tp, OffsetSpec.forTimestamp(to));
        latest.put(tp, OffsetSpec.latest());
      }
      ListOffsetsOptions committed = new ListOffsetsOptions(IsolationLevel.READ_COMMITTED);
      var end = admin.listOffsets(latest, committed).all().get();
      var start = admin.listOffsets(atFrom, committed).all().get();
      var stop = admin.listOffsets(atTo, committed).all().get();
      long total = 0;
      for (TopicPartition tp : latest.keySet()) {
        long e = end.get(tp).offset();
        long a = offsetOr(start.get(tp), e);
        long b = offsetOr(stop.get(tp), e);
        total += Math.max(0, b - a);
      }
      return total;
    } catch (ExecutionException e) {
      throw new IllegalArgumentException(
          "--input-topic "
              + topic
              + ": cannot read its offsets from "
              + bootstrapServers
              + ": "
              + e.getCause().getMessage(),
          e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    }
  }

  /** A timestamp lookup finds no record at or after the time when it is past the end. */
  private static long offsetOr(ListOffsetsResult.ListOffsetsResultInfo info, long end) {
    return info == null || info.offset() < 0 ? end : info.offset();
  }
}
