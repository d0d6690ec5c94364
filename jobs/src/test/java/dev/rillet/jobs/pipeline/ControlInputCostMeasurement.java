package dev.rillet.jobs.pipeline;

import dev.rillet.avro.ModelUpdate;
import dev.rillet.avro.TextEvent;
import dev.rillet.kafka.KafkaInputRecord;
import dev.rillet.kafka.RilletKafka;
import dev.rillet.testutils.TestModels;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.formats.avro.typeutils.AvroTypeInfo;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.functions.sink.v2.DiscardingSink;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfEnvironmentVariable;

/**
 * A measurement, not a test (it asserts nothing and runs only with {@code
 * RILLET_MEASURE=control-input}): what wiring the model-control input costs the tagging chain when
 * no update comes. With it the tagger has two inputs and Flink no longer chains it to the
 * segmenter, so every segmented event crosses a local exchange (serialized once). Decode, segment
 * and tag of the same in-memory events at parallelism 1, with and without an (empty) control
 * stream, alternating runs. The control stream holds one update naming the serving model, which the
 * tagger ignores.
 *
 * <pre>
 * RILLET_MEASURE=control-input mvn -pl jobs -am test -Dtest=ControlInputCostMeasurement \
 *     -Dsurefire.failIfNoSpecifiedTests=false
 * </pre>
 */
@EnabledIfEnvironmentVariable(named = "RILLET_MEASURE", matches = "control-input")
class ControlInputCostMeasurement {
  @Test
  void measure() throws Exception {
    for (String name : List.of("test-gru", "rillet-gru")) {
      Path model = TestModels.get(name);
      List<KafkaInputRecord> records = records(model, 200, 100);
      for (int round = 0; round < 3; round++) {
        for (boolean control : new boolean[] {false, true}) {
          long start = System.nanoTime();
          run(model, records, control);
          double seconds = (System.nanoTime() - start) / 1e9;
          System.out.printf(
              Locale.ROOT,
              "control-input: %s, %s control input: %d events in %.2f s (%.0f events/s)%n",
              name,
              control ? "with" : "without",
              records.size(),
              seconds,
              records.size() / seconds);
        }
      }
    }
  }

  private static void run(Path model, List<KafkaInputRecord> records, boolean control)
      throws Exception {
    Configuration conf = new Configuration();
    conf.set(PipelineOptions.PARALLELISM, 1);
    conf.set(PipelineOptions.CHECKPOINT_INTERVAL, Duration.ofSeconds(60));
    StreamExecutionEnvironment env = LiveEnvironment.create(conf);
    // One update naming the serving model: the tagger ignores it, as it would no update at all.
    ModelUpdate same =
        ModelUpdate.newBuilder()
            .setUpdateId("same")
            .setCreatedAt(0)
            .setModelId(ModelLocator.resolveAndCheck(model.toString()).modelId())
            .setPackageDir(model.toAbsolutePath().toString())
            .build();
    DataStream<ModelUpdate> updates =
        control ? env.fromData(List.of(same), new AvroTypeInfo<>(ModelUpdate.class)) : null;
    DataStream<TextEvent> events = RilletKafka.decode(LiveJob.read(env, conf, records, "input"));
    LiveJob.tag(events, conf, model, updates).sinkTo(new DiscardingSink<>());
    env.execute("control-input");
  }

  private static List<KafkaInputRecord> records(Path model, int streams, int eventsPerStream)
      throws Exception {
    List<String> words = Files.readAllLines(model.resolve("vocab.txt")).subList(2, 300);
    Random random = new Random(1);
    List<KafkaInputRecord> out = new ArrayList<>();
    for (int seq = 0; seq < eventsPerStream; seq++) {
      for (int s = 0; s < streams; s++) {
        StringBuilder text = new StringBuilder();
        for (int w = 0; w < 6; w++) {
          text.append(words.get(random.nextInt(words.size()))).append(' ');
        }
        TextEvent e =
            TextEvent.newBuilder()
                .setStreamId("s" + s)
                .setSeq(seq)
                .setEventTime(1_700_000_000_000L + seq * 1000L)
                .setText(text.append('.').toString())
                .build();
        out.add(KafkaInputRecord.of("in", out.size(), e));
      }
    }
    return out;
  }
}
