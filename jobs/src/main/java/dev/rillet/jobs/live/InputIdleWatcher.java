package dev.rillet.jobs.live;

import dev.rillet.kafka.KafkaClientConfig;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ListOffsetsOptions;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.IsolationLevel;
import org.apache.kafka.common.TopicPartition;

/**
 * Tells when the live job's input has gone idle: the input topic's end offsets (read_committed) and
 * the job's committed offsets (its consumer group's, committed when a checkpoint completes) have
 * not moved for a while, and the group has committed every partition that has records. Once that
 * holds, everything written to the topic is covered by a completed checkpoint, so all its outputs
 * are committed.
 */
final class InputIdleWatcher implements AutoCloseable {
  private final Admin admin;
  private final String topic;
  private final String groupId;
  private Map<TopicPartition, Long> lastEnd = Map.of();
  private Map<TopicPartition, Long> lastCommitted = Map.of();
  private long unchangedSinceMillis = Long.MAX_VALUE;

  InputIdleWatcher(
      KafkaClientConfig clients, String bootstrapServers, String topic, String groupId) {
    this.admin = Admin.create(clients.properties(KafkaClientConfig.Client.ADMIN, bootstrapServers));
    this.topic = topic;
    this.groupId = groupId;
  }

  /**
   * Looks at the offsets now; returns how long (milliseconds) the input has been idle and fully
   * committed, or 0 when it is not.
   */
  long idleMillis(long nowMillis) throws Exception {
    var description =
        admin.describeTopics(List.of(topic)).allTopicNames().get(10, TimeUnit.SECONDS).get(topic);
    Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
    for (var p : description.partitions()) {
      latest.put(new TopicPartition(topic, p.partition()), OffsetSpec.latest());
    }
    Map<TopicPartition, Long> end = new HashMap<>();
    var ends =
        admin
            .listOffsets(latest, new ListOffsetsOptions(IsolationLevel.READ_COMMITTED))
            .all()
            .get(10, TimeUnit.SECONDS);
    ends.forEach((tp, info) -> end.put(tp, info.offset()));
    Map<TopicPartition, OffsetAndMetadata> group =
        admin
            .listConsumerGroupOffsets(groupId)
            .partitionsToOffsetAndMetadata()
            .get(10, TimeUnit.SECONDS);
    Map<TopicPartition, Long> committed = new HashMap<>();
    boolean allCommitted = true;
    for (var e : end.entrySet()) {
      OffsetAndMetadata c = group.get(e.getKey());
      if (c != null) {
        committed.put(e.getKey(), c.offset());
      } else if (e.getValue() > 0) {
        allCommitted = false;
      }
    }
    if (!end.equals(lastEnd) || !committed.equals(lastCommitted)) {
      lastEnd = end;
      lastCommitted = committed;
      unchangedSinceMillis = nowMillis;
    }
    return allCommitted ? Math.max(0, nowMillis - unchangedSinceMillis) : 0;
  }

  @Override
  public void close() {
    admin.close();
  }
}
