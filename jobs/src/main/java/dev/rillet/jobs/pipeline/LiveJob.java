package dev.rillet.jobs.pipeline;

import dev.rillet.avro.ModelUpdate;
import dev.rillet.avro.SentenceAnalysis;
import dev.rillet.avro.StreamSentiment;
import dev.rillet.avro.TextEvent;
import dev.rillet.avro.TokenTag;
import dev.rillet.kafka.InputWatermarks;
import dev.rillet.kafka.KafkaInputRecord;
import dev.rillet.kafka.KafkaOptions;
import dev.rillet.kafka.ModelUpdates;
import dev.rillet.kafka.RilletKafka;
import dev.rillet.kafka.TextEventDecoder;
import dev.rillet.recurrent.RecurrentTagger;
import dev.rillet.recurrent.TaggedEvent;
import dev.rillet.recurrent.TokenTags;
import dev.rillet.segment.SegmentedEvent;
import dev.rillet.segment.Segmenter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.connector.kafka.source.KafkaSource;
import org.apache.flink.formats.avro.typeutils.AvroTypeInfo;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.datastream.DataStreamUtils;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;

/**
 * The live pipeline: Kafka text topic (event-time watermarks per partition, inside the source) ->
 * decode (bad records to the dead-letter topic) -> keyBy streamId -> {@link Segmenter} -> {@link
 * RecurrentTagger} (same key, no re-shuffle) -> token tags and running sentiment -> Kafka, exactly
 * once. A live job also reads the model-control topic and broadcasts its {@link ModelUpdate}s to
 * every tagger and sentence-stage subtask ({@link #modelUpdates}); each takes the updates of its
 * own target and ignores the others.
 */
public final class LiveJob {
  private LiveJob() {}

  /**
   * The options that make a live job: Kafka endpoints and topics, then the pipeline's own. A
   * cluster job ({@code cluster.RilletJob}) takes exactly these; {@code rillet live} adds where and
   * how it runs.
   */
  public static List<ConfigOption<?>> options() {
    List<ConfigOption<?>> options = new ArrayList<>(KafkaOptions.all());
    options.addAll(PipelineOptions.all());
    options.addAll(SentenceOptions.all());
    // Model updates: a live job's alone (backfill and the demo run one model).
    options.add(KafkaOptions.MODEL_UPDATES_TOPIC);
    options.add(PipelineOptions.REPLAY_TOKENS);
    return options;
  }

  /** The pipeline's main streams, for callers that observe them (backfill counts streams). */
  public record Pipeline(
      SingleOutputStreamOperator<TextEvent> events, DataStream<TaggedEvent> tagged) {}

  /**
   * Adds the live pipeline to {@code env}, reading {@code source} ({@link #read}).
   *
   * @param modelDir a model package already checked by {@link ModelLocator}
   * @param source where text events come from (live: the unbounded input topic; tests: bounded)
   */
  public static void build(
      StreamExecutionEnvironment env,
      Configuration conf,
      Path modelDir,
      KafkaSource<KafkaInputRecord> source) {
    build(conf, modelDir, read(env, conf, source), OutputGate.NONE);
  }

  /**
   * As {@link #build(StreamExecutionEnvironment, Configuration, Path, KafkaSource)}, the tagger
   * also taking model updates from {@code updates} (null: none).
   */
  public static void build(
      StreamExecutionEnvironment env,
      Configuration conf,
      Path modelDir,
      KafkaSource<KafkaInputRecord> source,
      DataStream<ModelUpdate> updates) {
    build(conf, modelDir, read(env, conf, source), updates, OutputGate.NONE);
  }

  /**
   * Adds the live job as {@code live} runs it: the input topic ({@link #liveSource}, unbounded)
   * and, when {@link KafkaOptions#MODEL_UPDATES_TOPIC} is set, model updates published from now on
   * ({@link #modelUpdates}).
   *
   * @param modelDir a model package already checked by {@link ModelLocator}
   */
  public static void buildLive(StreamExecutionEnvironment env, Configuration conf, Path modelDir) {
    build(
        env, conf, modelDir, liveSource(conf), modelUpdates(env, conf, System.currentTimeMillis()));
  }

  /**
   * The model-control stream of a live job: the {@link KafkaOptions#MODEL_UPDATES_TOPIC} read by
   * one reader from {@code fromMillis} on (see {@link ModelUpdates} for why), with no event time
   * (the tagger ignores this input's watermarks); null when the option is empty.
   *
   * @param fromMillis the job's launch time, taken once by the caller
   */
  public static DataStream<ModelUpdate> modelUpdates(
      StreamExecutionEnvironment env, Configuration conf, long fromMillis) {
    String topic = conf.get(KafkaOptions.MODEL_UPDATES_TOPIC);
    if (topic == null || topic.isBlank()) {
      return null;
    }
    return env.fromSource(
            ModelUpdates.source(conf, fromMillis),
            WatermarkStrategy.noWatermarks(),
            "model-updates")
        .setParallelism(1)
        .uid("model-updates");
  }

  /**
   * Adds {@code source} to {@code env} with the input's event time ({@link #watermarks}): the one
   * place a job reads the input topic, so live, demo and backfill all get watermarks generated per
   * Kafka partition inside the source.
   */
  public static DataStream<KafkaInputRecord> read(
      StreamExecutionEnvironment env, Configuration conf, KafkaSource<KafkaInputRecord> source) {
    return env.fromSource(source, watermarks(conf), "kafka-text").uid("kafka-text");
  }

  /**
   * Adds input records held in memory (a replayed file, an evaluation corpus) to {@code env}, with
   * the same event time as {@link #read}. One reader emits them in list order; each stream's
   * records then go to one subtask, so every stream keeps its order (a round-robin hand-over would
   * let them overtake each other).
   *
   * @param name the source's name and uid
   */
  public static DataStream<KafkaInputRecord> read(
      StreamExecutionEnvironment env,
      Configuration conf,
      List<KafkaInputRecord> records,
      String name) {
    DataStream<KafkaInputRecord> ordered =
        env.fromData(records, TypeInformation.of(KafkaInputRecord.class))
            .setParallelism(1)
            .name(name)
            .uid(name)
            // A single in-order reader: its watermark, taken after it, is exact.
            .assignTimestampsAndWatermarks(watermarks(conf))
            .setParallelism(1)
            .name(name + "-event-time")
            .uid(name + "-event-time");
    return ordered.partitionCustom(
        (key, partitions) -> Math.floorMod(key.hashCode(), partitions),
        r -> r.key == null ? "" : new String(r.key, StandardCharsets.UTF_8));
  }

  /**
   * The input's event time: timestamps from each record's eventTime, watermarks per Kafka
   * partition, trailing by {@link PipelineOptions#MAX_OUT_OF_ORDERNESS}, partitions idle after
   * {@link PipelineOptions#SOURCE_IDLE_TIMEOUT} (see {@link InputWatermarks} for the decisions).
   */
  public static WatermarkStrategy<KafkaInputRecord> watermarks(Configuration conf) {
    return InputWatermarks.strategy(
        conf.get(PipelineOptions.MAX_OUT_OF_ORDERNESS),
        conf.get(PipelineOptions.SOURCE_IDLE_TIMEOUT));
  }

  /**
   * Adds the pipeline to the environment of {@code input}: every job that runs Rillet's operators
   * (live, backfill, demo) builds them here, so they all run the same chain.
   *
   * @param modelDir a model package already checked by {@link ModelLocator}
   * @param input raw input records, each stream's in its arrival order
   * @param gate applied to every output stream just before its sink
   */
  public static Pipeline build(
      Configuration conf, Path modelDir, DataStream<KafkaInputRecord> input, OutputGate gate) {
    return build(conf, modelDir, input, null, gate);
  }

  /**
   * As {@link #build(Configuration, Path, DataStream, OutputGate)}, the tagger and the sentence
   * stage also taking model updates from {@code updates} (null: none).
   */
  public static Pipeline build(
      Configuration conf,
      Path modelDir,
      DataStream<KafkaInputRecord> input,
      DataStream<ModelUpdate> updates,
      OutputGate gate) {
    SingleOutputStreamOperator<TextEvent> events =
        RilletKafka.decode(input, conf.get(PipelineOptions.MAX_EVENT_CHARS));
    DataStream<TaggedEvent> tagged = tag(events, conf, modelDir, updates);

    DataStream<TokenTag> tokenTags =
        tagged
            .flatMap(new TokenTags.ToTokenTags(), new AvroTypeInfo<>(TokenTag.class))
            .uid("to-token-tags")
            .name("to-token-tags");
    gate.apply(tokenTags, conf.get(KafkaOptions.TAGS_TOPIC))
        .sinkTo(
            RilletKafka.sink(TokenTag.class, conf, KafkaOptions.TAGS_TOPIC)
                .key(TokenTag::getStreamId)
                .build())
        .uid("tags-sink")
        .name("tags-sink");
    DataStream<StreamSentiment> sentiment =
        tagged
            .flatMap(new TokenTags.ToStreamSentiment(), new AvroTypeInfo<>(StreamSentiment.class))
            .uid("to-sentiment")
            .name("to-sentiment");
    gate.apply(sentiment, conf.get(KafkaOptions.SENTIMENT_TOPIC))
        .sinkTo(
            RilletKafka.sink(StreamSentiment.class, conf, KafkaOptions.SENTIMENT_TOPIC)
                .key(StreamSentiment::getStreamId)
                .build())
        .uid("sentiment-sink")
        .name("sentiment-sink");
    SentenceStage sentences = SentenceStage.resolve(conf);
    if (sentences != null) {
      gate.apply(sentences.apply(tagged, updates), conf.get(KafkaOptions.SENTENCES_TOPIC))
          .sinkTo(
              RilletKafka.sink(SentenceAnalysis.class, conf, KafkaOptions.SENTENCES_TOPIC)
                  .key(SentenceAnalysis::getStreamId)
                  .build())
          .uid("sentences-sink")
          .name("sentences-sink");
    }
    gate.apply(
            events.getSideOutput(TextEventDecoder.REJECTED),
            conf.get(KafkaOptions.DEAD_LETTER_TOPIC))
        .sinkTo(RilletKafka.deadLetterSink(conf).build())
        .uid("dead-letter-sink")
        .name("dead-letter-sink");
    return new Pipeline(events, tagged);
  }

  /**
   * The operator chain after decoding, shared by every job that tags text: keyBy streamId -> {@link
   * Segmenter} -> {@link RecurrentTagger} on the same partitioning. One {@link TaggedEvent} comes
   * out per segmented event, in per-stream order.
   *
   * @param events decoded text events carrying their event time and watermarks, as {@link #read}
   *     makes them; watermarks must never be assigned after the source, where partitions are
   *     already merged (a backlog would push the watermark past events still unread)
   * @param modelDir a model package already checked by {@link ModelLocator}
   */
  public static DataStream<TaggedEvent> tag(
      DataStream<TextEvent> events, Configuration conf, Path modelDir) {
    return tag(events, conf, modelDir, null);
  }

  /**
   * As {@link #tag(DataStream, Configuration, Path)}; with {@code updates} (not null) the tagger
   * gets them on its second input, broadcast to every subtask, and switches models where each
   * update stands in its input (see {@link RecurrentTagger}).
   */
  public static DataStream<TaggedEvent> tag(
      DataStream<TextEvent> events,
      Configuration conf,
      Path modelDir,
      DataStream<ModelUpdate> updates) {
    DataStream<SegmentedEvent> segmented =
        events
            .keyBy(TextEvent::getStreamId)
            .process(
                new Segmenter(
                    conf.get(PipelineOptions.IDLE_GAP),
                    conf.get(PipelineOptions.MAX_SENTENCE_TOKENS),
                    conf.get(PipelineOptions.STREAM_TTL)))
            .uid("segmenter")
            .name("segmenter");

    RecurrentTagger.Builder builder =
        RecurrentTagger.builder()
            .modelDir(modelDir)
            .maxChunkTokens(conf.get(PipelineOptions.MAX_CHUNK_TOKENS))
            .maxDelay(conf.get(PipelineOptions.MAX_BUNDLE_DELAY))
            .ortSettings(PipelineOptions.ortSettings(conf))
            .replayTokens(conf.get(PipelineOptions.REPLAY_TOKENS));
    // Unset sizes stay the builder's defaults, picked by provider where the model runs.
    conf.getOptional(PipelineOptions.MAX_BUNDLE_TOKENS).ifPresent(builder::maxBundleTokens);
    conf.getOptional(PipelineOptions.MAX_BATCH_SIZE).ifPresent(builder::maxBatchSize);
    RecurrentTagger tagger = builder.build();
    // The segmenter's output is still partitioned by streamId: keep the chain, no re-shuffle.
    var keyed = DataStreamUtils.reinterpretAsKeyedStream(segmented, e -> e.streamId);
    if (updates == null) {
      return keyed
          .transform(
              "recurrent-tagger",
              TypeInformation.of(TaggedEvent.class),
              (org.apache.flink.streaming.api.operators.OneInputStreamOperator<
                      SegmentedEvent, TaggedEvent>)
                  tagger)
          .uid("recurrent-tagger");
    }
    // Same uid with or without updates: a savepoint restores into either form.
    return keyed
        .connect(updates.broadcast())
        .transform(
            "recurrent-tagger",
            TypeInformation.of(TaggedEvent.class),
            (org.apache.flink.streaming.api.operators.TwoInputStreamOperator<
                    SegmentedEvent, ModelUpdate, TaggedEvent>)
                tagger)
        .uid("recurrent-tagger");
  }

  /** The live job's source: the input topic from the Kafka options, unbounded. */
  public static KafkaSource<KafkaInputRecord> liveSource(Configuration conf) {
    return RilletKafka.source(conf).build();
  }
}
