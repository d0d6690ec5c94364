package dev.rillet.jobs.pipeline;

import dev.rillet.avro.TextEvent;
import dev.rillet.avro.TokenTag;
import dev.rillet.kafka.KafkaInputRecord;
import dev.rillet.kafka.KafkaOptions;
import dev.rillet.kafka.testutils.EmbeddedKafkaExtension;
import dev.rillet.testutils.TestModels;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.flink.api.common.functions.MapFunction;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfEnvironmentVariable;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A measurement, not a test (it asserts nothing and runs only with {@code
 * RILLET_MEASURE=huge-event}): how long other streams' tags wait behind one huge event that is
 * under {@code --max-event-chars}. The live pipeline with the shipped rillet-gru and default bundle
 * settings reads, in this order, one event of N tokens from stream "huge" and then one 6-token
 * event from each of 20 other streams; the wait of a stream is the time from its record leaving the
 * source to its first tag reaching the tags sink. Printed for a 5-token "huge" event (the baseline)
 * and for events of 1,000 and 19,999 tokens (99,995 chars, just under the default limit).
 *
 * <pre>
 * RILLET_MEASURE=huge-event mvn -pl jobs -am install -Dtest=HugeEventStallMeasurement \
 *     -Dsurefire.failIfNoSpecifiedTests=false -DskipITs
 * </pre>
 */
@EnabledIfEnvironmentVariable(named = "RILLET_MEASURE", matches = "huge-event")
class HugeEventStallMeasurement {
  @RegisterExtension static final EmbeddedKafkaExtension KAFKA = new EmbeddedKafkaExtension();

  private static final Map<String, Long> INPUT_AT = new ConcurrentHashMap<>();
  private static final Map<String, Long> FIRST_TAG_AT = new ConcurrentHashMap<>();
  private static final Map<String, Long> LAST_TAG_AT = new ConcurrentHashMap<>();

  @Test
  void measure() throws Exception {
    for (int tokens : new int[] {5, 5, 1_000, 19_999}) { // the first run warms up
      run(tokens);
    }
  }

  private static void run(int hugeTokens) throws Exception {
    INPUT_AT.clear();
    FIRST_TAG_AT.clear();
    LAST_TAG_AT.clear();
    String prefix = "stall" + hugeTokens + "-" + System.nanoTime();
    Configuration conf = new Configuration();
    conf.set(KafkaOptions.BOOTSTRAP_SERVERS, KAFKA.bootstrapServers());
    conf.set(KafkaOptions.TAGS_TOPIC, prefix + ".tags");
    conf.set(KafkaOptions.SENTIMENT_TOPIC, prefix + ".sentiment");
    conf.set(KafkaOptions.DEAD_LETTER_TOPIC, prefix + ".dead");
    conf.set(KafkaOptions.TRANSACTIONAL_ID_PREFIX, prefix);
    conf.set(SentenceOptions.ELMO, SentenceOptions.NONE);
    KAFKA.createTopics(1, prefix + ".tags", prefix + ".sentiment", prefix + ".dead");

    List<KafkaInputRecord> records = new ArrayList<>();
    String huge = "word ".repeat(hugeTokens);
    records.add(KafkaInputRecord.of("in", 0, event("huge", huge)));
    for (int s = 0; s < 20; s++) {
      records.add(KafkaInputRecord.of("in", records.size(), event("s" + s, "the cat sat on it .")));
    }
    StreamExecutionEnvironment env = LiveEnvironment.create(conf);
    DataStream<KafkaInputRecord> input =
        LiveJob.read(env, conf, records, "input")
            .map(new InputClock(), TypeInformation.of(KafkaInputRecord.class));
    String tagsTopic = conf.get(KafkaOptions.TAGS_TOPIC);
    LiveJob.build(
        conf,
        TestModels.get("rillet-gru"),
        input,
        new OutputGate() {
          @Override
          public <T> DataStream<T> apply(DataStream<T> stream, String topic) {
            return topic.equals(tagsTopic)
                ? stream.map(new TagClock<T>(), stream.getType())
                : stream;
          }
        });
    env.execute(prefix);

    List<Double> waits = new ArrayList<>();
    for (int s = 0; s < 20; s++) {
      waits.add(millis(FIRST_TAG_AT.get("s" + s) - INPUT_AT.get("s" + s)));
    }
    waits.sort(Double::compare);
    System.out.printf(
        Locale.ROOT,
        "huge event of %d tokens (%d chars): tagged in %.1f ms; other streams' first tags waited"
            + " min %.1f ms, median %.1f ms, max %.1f ms%n",
        hugeTokens,
        huge.length(),
        millis(LAST_TAG_AT.get("huge") - INPUT_AT.get("huge")),
        waits.get(0),
        waits.get(waits.size() / 2),
        waits.get(waits.size() - 1));
  }

  private static TextEvent event(String stream, String text) {
    return TextEvent.newBuilder()
        .setStreamId(stream)
        .setSeq(0)
        .setEventTime(1_700_000_000_000L)
        .setText(text)
        .build();
  }

  private static double millis(long nanos) {
    return nanos / 1e6;
  }

  /** Notes when each stream's record leaves the source. */
  private static final class InputClock implements MapFunction<KafkaInputRecord, KafkaInputRecord> {
    @Override
    public KafkaInputRecord map(KafkaInputRecord r) {
      INPUT_AT.putIfAbsent(new String(r.key, StandardCharsets.UTF_8), System.nanoTime());
      return r;
    }
  }

  /** Notes when each stream's first and last tag reach the tags sink. */
  private static final class TagClock<T> implements MapFunction<T, T> {
    @Override
    public T map(T t) {
      long now = System.nanoTime();
      String stream = ((TokenTag) t).getStreamId();
      FIRST_TAG_AT.putIfAbsent(stream, now);
      LAST_TAG_AT.put(stream, now);
      return t;
    }
  }
}
