package dev.rillet.jobs.bench;

import dev.rillet.avro.TextEvent;
import dev.rillet.jobs.cli.Command;
import dev.rillet.jobs.cli.CommandContext;
import dev.rillet.jobs.cluster.FlinkRestClient;
import dev.rillet.jobs.pipeline.LiveEnvironment;
import dev.rillet.jobs.pipeline.LiveJob;
import dev.rillet.jobs.pipeline.ModelLocator;
import dev.rillet.jobs.pipeline.PipelineOptions;
import dev.rillet.jobs.pipeline.StateDirectory;
import dev.rillet.jobs.pipeline.StateOptions;
import dev.rillet.recurrent.TaggedEvent;
import java.io.IOException;
import java.io.PrintStream;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.functions.MapFunction;
import org.apache.flink.api.connector.source.lib.NumberSequenceSource.NumberSequenceSplit;
import org.apache.flink.api.connector.source.util.ratelimit.RateLimiter;
import org.apache.flink.api.connector.source.util.ratelimit.RateLimiterStrategy;
import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.configuration.ConfigOptions;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.RestOptions;
import org.apache.flink.connector.datagen.source.DataGeneratorSource;
import org.apache.flink.connector.datagen.source.GeneratorFunction;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.formats.avro.typeutils.AvroTypeInfo;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.functions.sink.v2.DiscardingSink;
import org.apache.flink.util.FileUtils;

/**
 * {@code rillet bench state}: what a stream costs. Runs the tagging chain of the live job
 * (segmenter and recurrent tagger, keyed by stream) twice in one process over the same number of
 * events: once with few streams on the heap state backend, once with many streams on RocksDB with
 * incremental checkpoints, and prints for each the tokens per second, the full checkpoint size per
 * stream and the checkpoints' durations.
 *
 * <p>Events come from a generator inside the job (no Kafka), round-robin over the streams, four
 * vocabulary words each, one event per stream per second of event time. After the last event the
 * source stays open, so the job keeps running with every stream's state in place: the bench waits
 * for a checkpoint that completes after the last token was tagged and reads its size from the
 * MiniCluster's REST API.
 */
public final class StateBenchCommand implements Command {
  static final ConfigOption<Integer> STREAMS =
      ConfigOptions.key("streams")
          .intType()
          .defaultValue(100_000)
          .withDescription("Streams of the RocksDB run (e.g. 1000000).");

  static final ConfigOption<Integer> BASELINE_STREAMS =
      ConfigOptions.key("baseline-streams")
          .intType()
          .defaultValue(1_000)
          .withDescription("Streams of the heap run the RocksDB run is compared with.");

  static final ConfigOption<Integer> EVENTS_PER_STREAM =
      ConfigOptions.key("events-per-stream")
          .intType()
          .defaultValue(3)
          .withDescription(
              "Events per stream of the RocksDB run (4 tokens each); the heap run tags as many"
                  + " events over its fewer streams.");

  static final ConfigOption<Duration> CHECKPOINT_INTERVAL =
      ConfigOptions.key("checkpoint-interval")
          .durationType()
          .defaultValue(Duration.ofSeconds(10))
          .withDescription("Checkpoint interval of both runs.");

  static final ConfigOption<String> ROCKSDB_SETTINGS =
      ConfigOptions.key("rocksdb-settings")
          .stringType()
          .defaultValue("")
          .withDescription(
              "Flink settings for the RocksDB run only, as key=value pairs separated by commas,"
                  + " e.g. taskmanager.memory.managed.size=1g,"
                  + "state.backend.rocksdb.timer-service.factory=HEAP.");

  /** Every option, in the order --help lists them: the model, the runs' sizes, the tagger's. */
  private static final List<ConfigOption<?>> OPTIONS =
      List.of(
          PipelineOptions.MODEL,
          STREAMS,
          BASELINE_STREAMS,
          EVENTS_PER_STREAM,
          CHECKPOINT_INTERVAL,
          ROCKSDB_SETTINGS,
          PipelineOptions.MAX_BUNDLE_TOKENS,
          PipelineOptions.MAX_BATCH_SIZE);

  private static final int TOKENS_PER_EVENT = 4;
  private static final long FIRST_EVENT_TIME = 1_700_000_000_000L;
  private static final Duration TIMEOUT = Duration.ofMinutes(30);

  /** Tokens tagged by the running bench job (its tasks run in this JVM). */
  static final AtomicLong TAGGED = new AtomicLong();

  /** Input events tagged by the running bench job (not the segmenter's close markers). */
  static final AtomicLong TAGGED_EVENTS = new AtomicLong();

  /** When the running bench job tagged its first token, System.nanoTime(); 0 before. */
  static final AtomicLong FIRST_TAGGED = new AtomicLong();

  @Override
  public String name() {
    return "bench state";
  }

  @Override
  public String summary() {
    return "Benchmark state per stream: tokens/s and checkpoint bytes per stream, heap with few"
        + " streams against RocksDB with many.";
  }

  @Override
  public List<ConfigOption<?>> options() {
    return OPTIONS;
  }

  /** The figures of one run. */
  record Result(
      String backend,
      int streams,
      long tokens,
      double seconds,
      long checkpointBytes,
      long checkpoints,
      long maxCheckpointMillis,
      long lastIncrementBytes) {
    double tokensPerSecond() {
      return tokens / seconds;
    }

    double bytesPerStream() {
      return (double) checkpointBytes / streams;
    }
  }

  @Override
  public int run(CommandContext context, Configuration conf) throws Exception {
    ModelLocator.CheckedModel model =
        ModelLocator.resolveAndCheck(context.modelRoot(), conf.get(PipelineOptions.MODEL));
    PrintStream out = context.out();
    String[] words = vocabulary(model.dir());
    long events = (long) conf.get(STREAMS) * conf.get(EVENTS_PER_STREAM);
    out.printf(
        "model %s, %d events of %d words per run, parallelism 1, %d core(s), rocksdb settings:"
            + " %s%n",
        model.modelId(),
        events,
        TOKENS_PER_EVENT,
        Runtime.getRuntime().availableProcessors(),
        conf.get(ROCKSDB_SETTINGS).isBlank() ? "Flink's defaults" : conf.get(ROCKSDB_SETTINGS));
    Result heap =
        run(conf, model, words, conf.get(BASELINE_STREAMS), events, StateOptions.Backend.HASHMAP);
    Result rocks = run(conf, model, words, conf.get(STREAMS), events, StateOptions.Backend.ROCKSDB);
    out.printf(
        "%-8s %10s %12s %10s %14s %14s %12s %16s%n",
        "backend",
        "streams",
        "tokens",
        "tokens/s",
        "ckpt bytes",
        "bytes/stream",
        "max ckpt ms",
        "last increment");
    for (Result r : List.of(heap, rocks)) {
      out.printf(
          "%-8s %10d %12d %10.0f %14d %14.0f %12d %16d%n",
          r.backend(),
          r.streams(),
          r.tokens(),
          r.tokensPerSecond(),
          r.checkpointBytes(),
          r.bytesPerStream(),
          r.maxCheckpointMillis(),
          r.lastIncrementBytes());
    }
    out.printf(
        "tokens/s with %d streams on rocksdb = %.2f x the rate with %d streams on the heap%n",
        rocks.streams(), rocks.tokensPerSecond() / heap.tokensPerSecond(), heap.streams());
    return 0;
  }

  static Result run(
      Configuration conf,
      ModelLocator.CheckedModel model,
      String[] words,
      int streams,
      long events,
      StateOptions.Backend backend)
      throws Exception {
    Path dir = Files.createTempDirectory("rillet-bench-state-");
    try {
      int port = freePort();
      Configuration options = new Configuration();
      options.addAll(conf);
      options.set(PipelineOptions.PARALLELISM, 1);
      options.set(PipelineOptions.CHECKPOINT_INTERVAL, conf.get(CHECKPOINT_INTERVAL));
      Configuration flink = LiveEnvironment.durableState(new StateDirectory(dir), backend, null);
      flink.set(RestOptions.BIND_PORT, Integer.toString(port));
      flink.set(RestOptions.ADDRESS, "127.0.0.1");
      if (backend == StateOptions.Backend.ROCKSDB) {
        for (String setting : conf.get(ROCKSDB_SETTINGS).split(",")) {
          if (!setting.isBlank()) {
            String[] kv = setting.split("=", 2);
            if (kv.length != 2) {
              throw new IllegalArgumentException(
                  "--" + ROCKSDB_SETTINGS.key() + ": '" + setting + "' is not key=value");
            }
            flink.setString(kv[0].trim(), kv[1].trim());
          }
        }
      }
      StreamExecutionEnvironment env = LiveEnvironment.create(options, flink);

      TAGGED.set(0);
      TAGGED_EVENTS.set(0);
      FIRST_TAGGED.set(0);
      DataGeneratorSource<TextEvent> source =
          new DataGeneratorSource<>(
              new Events(words, streams),
              Long.MAX_VALUE,
              new FirstRecordsOnly(events),
              new AvroTypeInfo<>(TextEvent.class));
      LiveJob.tag(
              env.fromSource(
                      source,
                      WatermarkStrategy.<TextEvent>forMonotonousTimestamps()
                          .withTimestampAssigner((e, t) -> e.getEventTime()),
                      "events")
                  .uid("events"),
              options,
              model.dir())
          .map(new CountTokens())
          .sinkTo(new DiscardingSink<>());
      JobClient job = env.executeAsync("bench-state-" + backend + "-" + streams);
      try {
        FlinkRestClient rest = new FlinkRestClient("127.0.0.1:" + port);
        long deadline = System.nanoTime() + TIMEOUT.toNanos();
        while (TAGGED_EVENTS.get() < events) {
          await(deadline, "all " + events + " events tagged");
        }
        double seconds = (System.nanoTime() - FIRST_TAGGED.get()) / 1e9;
        long tokens = TAGGED.get();
        // The first checkpoint triggered after the last token holds every stream's state.
        long after = rest.checkpointStats(job.getJobID().toString()).triggered();
        FlinkRestClient.CheckpointStats stats;
        do {
          await(deadline, "a checkpoint after the last token");
          stats = rest.checkpointStats(job.getJobID().toString());
        } while (stats.latestId() <= after);
        return new Result(
            backend.toString(),
            streams,
            tokens,
            seconds,
            stats.latestStateSize(),
            stats.completed(),
            stats.maxDurationMillis(),
            stats.latestCheckpointedSize());
      } finally {
        job.cancel().get();
      }
    } finally {
      FileUtils.deleteDirectory(dir.toFile());
    }
  }

  private static void await(long deadline, String what) throws InterruptedException {
    if (System.nanoTime() - deadline > 0) {
      throw new IllegalStateException("bench state: no " + what + " within " + TIMEOUT);
    }
    Thread.sleep(200); // polling the job's progress
  }

  private static String[] vocabulary(Path modelDir) throws IOException {
    List<String> all = Files.readAllLines(modelDir.resolve("vocab.txt"));
    // The first two entries are the padding and unknown-word markers.
    return all.subList(2, all.size()).toArray(String[]::new);
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  /** Event {@code i}: stream {@code i mod streams}, its seq {@code i / streams}, 4 words. */
  static final class Events implements GeneratorFunction<Long, TextEvent> {
    private static final long serialVersionUID = 1L;
    private final String[] words;
    private final int streams;

    Events(String[] words, int streams) {
      this.words = words;
      this.streams = streams;
    }

    @Override
    public TextEvent map(Long index) {
      long i = index;
      StringBuilder text = new StringBuilder();
      long h = i * 0x9E3779B97F4A7C15L;
      for (int w = 0; w < TOKENS_PER_EVENT; w++) {
        h ^= h >>> 29;
        h *= 0xBF58476D1CE4E5B9L;
        text.append(w == 0 ? "" : " ").append(words[(int) Long.remainderUnsigned(h, words.length)]);
      }
      return TextEvent.newBuilder()
          .setStreamId("s" + (i % streams))
          .setSeq(i / streams)
          // Every stream has an event each second of event time, whatever the number of streams:
          // gaps below the idle gap, so both runs close sentences the same way (by their text).
          .setEventTime(FIRST_EVENT_TIME + (i / streams) * 1000 + (i % streams) * 1000 / streams)
          .setText(text.toString())
          .build();
    }
  }

  /**
   * Lets the first {@code count} records through and then none: the source stays open (a finished
   * source would end the job, and a finished task's state is not in later checkpoints).
   */
  static final class FirstRecordsOnly implements RateLimiterStrategy<NumberSequenceSplit> {
    private static final long serialVersionUID = 1L;
    private final long count;

    FirstRecordsOnly(long count) {
      this.count = count;
    }

    @Override
    public RateLimiter<NumberSequenceSplit> createRateLimiter(int parallelism) {
      return new RateLimiter<>() {
        private final CompletableFuture<Void> never = new CompletableFuture<>();
        private long granted;

        @Override
        public CompletionStage<Void> acquire(int records) {
          if (granted >= count) {
            return never;
          }
          granted += records;
          return CompletableFuture.completedFuture(null);
        }
      };
    }
  }

  /** Counts tagged tokens into {@link #TAGGED}. */
  static final class CountTokens implements MapFunction<TaggedEvent, Integer> {
    private static final long serialVersionUID = 1L;

    @Override
    public Integer map(TaggedEvent e) {
      FIRST_TAGGED.compareAndSet(0, System.nanoTime());
      TAGGED.addAndGet(e.tags.length);
      if (!e.event.isCloseMarker()) {
        TAGGED_EVENTS.incrementAndGet();
      }
      return e.tags.length;
    }
  }
}
