package dev.rillet.jobs.bench;

import dev.rillet.jobs.cli.Command;
import dev.rillet.jobs.cli.CommandContext;
import dev.rillet.jobs.pipeline.ModelLocator;
import dev.rillet.jobs.pipeline.PipelineOptions;
import dev.rillet.onnx.OrtSettings;
import dev.rillet.onnx.RecurrentModelPackage;
import dev.rillet.onnx.SharedCache;
import dev.rillet.onnx.SharedOrt;
import dev.rillet.recurrent.RecurrentStepRunner;
import dev.rillet.recurrent.RecurrentTagger;
import dev.rillet.recurrent.TaggedEvent;
import dev.rillet.segment.SegmentedEvent;
import dev.rillet.segment.SegmentedToken;
import java.io.PrintStream;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.flink.api.common.functions.MapFunction;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.configuration.ConfigOptions;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.datastream.DataStreamUtils;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.functions.sink.v2.DiscardingSink;

/**
 * {@code rillet bench tagger}: tokens per second of the {@link RecurrentTagger} on a local
 * MiniCluster for several bundle sizes, run side by side in one process so the ratios compare like
 * with like. Input: many interleaved streams of vocabulary words, a few tokens per event.
 *
 * <p>With {@code --long-event-tokens N}: one event of N tokens for one stream, followed by a short
 * event (6 tokens) from each of {@code --streams} other streams, once per {@code --chunk-sizes}
 * entry, side by side. It prints how long the long event took to tag (from the tagger's task
 * receiving its record to its tags leaving the tagger) and how long the other streams' events
 * waited for their tags, per stream (min, median, max), in two spans: from their record leaving the
 * source, which includes handing the long record to the tagger's task (network, deserializing
 * 200,000 tokens), and from when the tagger's task had the long event in hand (or the short record
 * left the source, if later): the wait the tagger itself causes while the long event runs. Chunk
 * size 1 is token-by-token stepping, the tagger as it was before long runs were chunked. The
 * network buffer timeout is 0, so records do not wait in Flink's buffers.
 */
public final class TaggerBenchCommand implements Command {
  static final ConfigOption<Integer> STREAMS =
      ConfigOptions.key("streams")
          .intType()
          .defaultValue(512)
          .withDescription("Number of interleaved streams.");

  static final ConfigOption<Integer> TOKENS =
      ConfigOptions.key("tokens")
          .intType()
          .defaultValue(200_000)
          .withDescription("Total tokens per run (spread over the streams, 4 per event).");

  static final ConfigOption<String> BUNDLES =
      ConfigOptions.key("bundle-sizes")
          .stringType()
          .defaultValue("1,16,64,256")
          .withDescription(
              "Comma-separated max-bundle-tokens values to compare; max-batch-size is the bundle"
                  + " size capped at 64.");

  static final ConfigOption<Integer> LONG_EVENT_TOKENS =
      ConfigOptions.key("long-event-tokens")
          .intType()
          .defaultValue(0)
          .withDescription(
              "When > 0: measure one event of this many tokens (200000 is a 1 MB text) followed by"
                  + " a short event from each of --streams other streams, per --chunk-sizes entry,"
                  + " instead of the bundle sizes.");

  static final ConfigOption<String> CHUNK_SIZES =
      ConfigOptions.key("chunk-sizes")
          .stringType()
          .defaultValue("1,256")
          .withDescription(
              "With --long-event-tokens: comma-separated max-chunk-tokens values to compare (1 is"
                  + " token-by-token stepping); max-bundle-tokens 256, max-batch-size 64.");

  static final ConfigOption<String> RUN_LENGTHS =
      ConfigOptions.key("run-lengths")
          .stringType()
          .defaultValue("")
          .withDescription(
              "Comma-separated run lengths T (e.g. 2,4,8): after the bundle table, time the model"
                  + " alone on 64 streams with T new tokens each, as T [64,1] calls against one"
                  + " [64,T] call. Empty: skip it.");

  /** The tagger's default max-batch-size: bundles are batched up to it. */
  private static final int MAX_BATCH = 64;

  /** The short events' tokens, and how many of them each other stream sends. */
  private static final int SHORT_EVENT_TOKENS = 6;

  /**
   * Per stream, when its record left the source, when the tagger's task received it and when its
   * tags left the tagger (nanos).
   */
  private static final Map<String, Long> SENT_AT = new ConcurrentHashMap<>();

  private static final Map<String, Long> RECEIVED_AT = new ConcurrentHashMap<>();

  private static final Map<String, Long> TAGGED_AT = new ConcurrentHashMap<>();

  @Override
  public String name() {
    return "bench tagger";
  }

  @Override
  public String summary() {
    return "Benchmark the recurrent tagger: tokens/s per bundle size on a local MiniCluster.";
  }

  @Override
  public List<ConfigOption<?>> options() {
    return List.of(
        PipelineOptions.MODEL,
        STREAMS,
        TOKENS,
        BUNDLES,
        LONG_EVENT_TOKENS,
        CHUNK_SIZES,
        RUN_LENGTHS,
        PipelineOptions.INTRA_OP_THREADS,
        PipelineOptions.EXECUTION_PROVIDER);
  }

  @Override
  public int run(CommandContext context, Configuration conf) throws Exception {
    ModelLocator.CheckedModel model =
        ModelLocator.resolveAndCheck(context.modelRoot(), conf.get(PipelineOptions.MODEL));
    PrintStream out = context.out();
    List<String> vocabulary = Files.readAllLines(model.dir().resolve("vocab.txt"));
    if (conf.get(LONG_EVENT_TOKENS) > 0) {
      return runLongEvent(conf, model, vocabulary, out);
    }
    List<SegmentedEvent> events =
        events(vocabulary, conf.get(STREAMS), conf.get(TOKENS), new Random(1));
    long tokens = events.stream().mapToLong(e -> e.tokens.length).sum();
    out.printf(
        "model %s, %d streams, %d events, %d tokens, parallelism 1, %d intra-op thread(s),"
            + " execution provider %s%n",
        model.modelId(),
        conf.get(STREAMS),
        events.size(),
        tokens,
        conf.get(PipelineOptions.INTRA_OP_THREADS),
        PipelineOptions.ortSettings(conf).resolve().label());
    out.printf(
        "%-8s %-7s %12s %12s %10s %14s %10s%n",
        "bundle", "batch", "seconds", "tokens/s", "ratio", "steady tok/s", "ratio");
    double base = 0;
    double steadyBase = 0;
    // Warm-up run: JIT, ONNX Runtime session creation, MiniCluster start-up paths.
    run(model, events, 64, PipelineOptions.ortSettings(conf));
    for (String b : conf.get(BUNDLES).split(",")) {
      int bundle = Integer.parseInt(b.trim());
      double seconds = run(model, events, bundle, PipelineOptions.ortSettings(conf));
      double rate = tokens / seconds;
      double steady = SteadyClock.tokensPerSecond();
      if (base == 0) {
        base = rate;
        steadyBase = steady;
      }
      out.printf(
          "%-8d %-7d %12.2f %12.0f %9.2fx %14.0f %9.2fx%n",
          bundle,
          Math.min(bundle, MAX_BATCH),
          seconds,
          rate,
          rate / base,
          steady,
          steady / steadyBase);
    }
    String runLengths = conf.get(RUN_LENGTHS).trim();
    if (!runLengths.isEmpty()) {
      try (SharedCache.Lease<RecurrentModelPackage> lease =
          SharedOrt.acquire(model.dir(), PipelineOptions.ortSettings(conf))) {
        CallShapes.compare(lease.get(), MAX_BATCH, ints(runLengths), out);
      }
    }
    return 0;
  }

  private static int[] ints(String commaSeparated) {
    return Arrays.stream(commaSeparated.split(","))
        .mapToInt(c -> Integer.parseInt(c.trim()))
        .toArray();
  }

  private static double run(
      ModelLocator.CheckedModel model,
      List<SegmentedEvent> events,
      int bundle,
      OrtSettings settings)
      throws Exception {
    StreamExecutionEnvironment env = StreamExecutionEnvironment.createLocalEnvironment(1);
    DataStream<SegmentedEvent> input =
        env.fromData(events, TypeInformation.of(SegmentedEvent.class));
    input
        .keyBy(e -> e.streamId)
        .transform(
            "recurrent-tagger",
            TypeInformation.of(TaggedEvent.class),
            RecurrentTagger.builder()
                .modelDir(model.dir())
                .maxBundleTokens(bundle)
                .maxBatchSize(Math.min(bundle, MAX_BATCH))
                .ortSettings(settings)
                .build())
        .map(new SteadyClock(), TypeInformation.of(TaggedEvent.class))
        .sinkTo(new DiscardingSink<>());
    SteadyClock.reset();
    long start = System.nanoTime();
    env.execute("bench-tagger-" + bundle);
    return (System.nanoTime() - start) / 1e9;
  }

  private static int runLongEvent(
      Configuration conf, ModelLocator.CheckedModel model, List<String> vocabulary, PrintStream out)
      throws Exception {
    int longTokens = conf.get(LONG_EVENT_TOKENS);
    int streams = conf.get(STREAMS);
    OrtSettings settings = PipelineOptions.ortSettings(conf);
    int threads = settings.intraOpThreads();
    Random random = new Random(1);
    List<SegmentedEvent> events = new ArrayList<>(streams + 1);
    events.add(event("long", 0, words(vocabulary, longTokens, random)));
    for (int s = 0; s < streams; s++) {
      events.add(event("s" + s, 0, words(vocabulary, SHORT_EVENT_TOKENS, random)));
    }
    out.printf(
        Locale.ROOT,
        "model %s, one event of %d tokens (%d chars) then %d streams' %d-token events, bundle 256,"
            + " batch 64, parallelism 1, %d intra-op thread(s), %d cores%n",
        model.modelId(),
        longTokens,
        events.get(0).text.length(),
        streams,
        SHORT_EVENT_TOKENS,
        threads,
        Runtime.getRuntime().availableProcessors());
    out.printf(
        Locale.ROOT,
        "%-6s %14s %12s %8s | %-32s | %s%n",
        "chunk",
        "long event ms",
        "tokens/s",
        "speed-up",
        "others waited from source, ms",
        "while the long event ran, ms");
    out.printf(
        Locale.ROOT,
        "%-6s %14s %12s %8s | %-32s | %s%n",
        "",
        "",
        "",
        "",
        "min / median / max",
        "min / median / max");
    // Warm-up run (JIT, session creation, MiniCluster paths) on a short long event.
    runLongEvent(
        model, List.of(event("long", 0, words(vocabulary, 2_000, random))), 256, settings, false);
    double base = 0;
    for (String c : conf.get(CHUNK_SIZES).split(",")) {
      int chunk = Integer.parseInt(c.trim());
      runLongEvent(model, events, chunk, settings, true);
      double longMillis = (TAGGED_AT.get("long") - RECEIVED_AT.get("long")) / 1e6;
      double rate = longTokens / (longMillis / 1e3);
      if (base == 0) {
        base = rate;
      }
      out.printf(
          Locale.ROOT,
          "%-6d %14.0f %12.0f %7.1fx | %-32s | %s%n",
          chunk,
          longMillis,
          rate,
          rate / base,
          waits(streams, Long.MIN_VALUE),
          waits(streams, RECEIVED_AT.get("long")));
    }
    modelCallsAlone(model, events.get(0), conf.get(CHUNK_SIZES), settings, out);
    return 0;
  }

  /**
   * The same long event through the model alone (no Flink, no operator), on the session the tagger
   * uses, as {@code [1,T]} calls per chunk size: the most chunking can give on this machine.
   */
  private static void modelCallsAlone(
      ModelLocator.CheckedModel model,
      SegmentedEvent event,
      String chunkSizes,
      OrtSettings settings,
      PrintStream out)
      throws Exception {
    int[] chunks = ints(chunkSizes);
    out.printf(
        Locale.ROOT,
        "the same %d tokens through the model alone ([1,chunk] calls, no Flink, one thread):%n",
        event.tokens.length);
    try (SharedCache.Lease<RecurrentModelPackage> lease = SharedOrt.acquire(model.dir(), settings);
        RecurrentStepRunner runner =
            RecurrentStepRunner.on(lease.get(), 1, Arrays.stream(chunks).max().orElse(1))) {
      RecurrentModelPackage pkg = lease.get();
      long[] ids = new long[event.tokens.length];
      for (int i = 0; i < ids.length; i++) {
        ids[i] = pkg.vocabulary().id(event.tokens[i].text);
      }
      float[] state = new float[runner.packedStateSize()];
      float[] probabilities = new float[ids.length];
      double base = 0;
      for (int chunk : chunks) {
        Arrays.fill(state, 0f);
        long start = System.nanoTime();
        for (int from = 0; from < ids.length; from += chunk) {
          int steps = Math.min(chunk, ids.length - from);
          for (int t = 0; t < steps; t++) {
            runner.setChunkToken(t, ids[from + t]);
          }
          runner.putState(1, 0, state);
          runner.runChunk(steps);
          runner.getState(1, 0, state);
          for (int t = 0; t < steps; t++) {
            runner.bestTag(t, probabilities, from + t);
          }
        }
        double millis = (System.nanoTime() - start) / 1e6;
        double rate = ids.length / (millis / 1e3);
        if (base == 0) {
          base = rate;
        }
        out.printf(Locale.ROOT, "%-6d %14.0f %12.0f %7.1fx%n", chunk, millis, rate, rate / base);
      }
    }
  }

  /**
   * Min / median / max of the other streams' waits for their tags, from their record leaving the
   * source or from {@code notBefore} (nanos), whichever is later.
   */
  private static String waits(int streams, long notBefore) {
    List<Double> waits = new ArrayList<>();
    for (int s = 0; s < streams; s++) {
      long since = Math.max(SENT_AT.get("s" + s), notBefore);
      waits.add((TAGGED_AT.get("s" + s) - since) / 1e6);
    }
    waits.sort(Double::compare);
    return String.format(
        Locale.ROOT,
        "%.1f / %.1f / %.1f",
        waits.get(0),
        waits.get(waits.size() / 2),
        waits.get(waits.size() - 1));
  }

  private static void runLongEvent(
      ModelLocator.CheckedModel model,
      List<SegmentedEvent> events,
      int chunk,
      OrtSettings settings,
      boolean measured)
      throws Exception {
    SENT_AT.clear();
    RECEIVED_AT.clear();
    TAGGED_AT.clear();
    StreamExecutionEnvironment env = StreamExecutionEnvironment.createLocalEnvironment(1);
    // Records leave the source's buffers at once rather than after Flink's buffer timeout.
    env.setBufferTimeout(0);
    DataStream<SegmentedEvent> received =
        env.fromData(events, TypeInformation.of(SegmentedEvent.class))
            .map(new Clock(SENT_AT), TypeInformation.of(SegmentedEvent.class))
            .keyBy(e -> e.streamId)
            // Chained to the tagger: notes when the tagger's task has read the record.
            .map(new Clock(RECEIVED_AT), TypeInformation.of(SegmentedEvent.class));
    DataStreamUtils.reinterpretAsKeyedStream(received, e -> e.streamId)
        .transform(
            "recurrent-tagger",
            TypeInformation.of(TaggedEvent.class),
            RecurrentTagger.builder()
                .modelDir(model.dir())
                .maxBundleTokens(256)
                .maxBatchSize(64)
                .maxChunkTokens(chunk)
                .ortSettings(settings)
                .build())
        .map(new TaggedClock(), TypeInformation.of(TaggedEvent.class))
        .sinkTo(new DiscardingSink<>());
    env.execute("bench-tagger-long-event-" + chunk + (measured ? "" : "-warm-up"));
  }

  /**
   * Notes when each stream's (first) record passes, in {@link #SENT_AT} or {@link #RECEIVED_AT}.
   */
  private static final class Clock implements MapFunction<SegmentedEvent, SegmentedEvent> {
    private final boolean received;

    Clock(Map<String, Long> times) {
      // The maps are static (one JVM, the local MiniCluster): the function names which one.
      this.received = times == RECEIVED_AT;
    }

    @Override
    public SegmentedEvent map(SegmentedEvent e) {
      (received ? RECEIVED_AT : SENT_AT).putIfAbsent(e.streamId, System.nanoTime());
      return e;
    }
  }

  /** Notes when each stream's (first) tagged event leaves the tagger. */
  /**
   * Steady-state throughput: tokens tagged between the first tagged event and the last, over that
   * time, so the job's start (submission, operator open, model load) and its first bundle are left
   * out. Chained to the tagger at parallelism 1, in this JVM (a local MiniCluster).
   */
  private static final class SteadyClock implements MapFunction<TaggedEvent, TaggedEvent> {
    private static long first;
    private static long last;
    private static long tokensAfterFirst;

    static synchronized void reset() {
      first = 0;
      last = 0;
      tokensAfterFirst = 0;
    }

    static synchronized double tokensPerSecond() {
      return last > first ? tokensAfterFirst / ((last - first) / 1e9) : 0;
    }

    @Override
    public TaggedEvent map(TaggedEvent t) {
      long now = System.nanoTime();
      synchronized (SteadyClock.class) {
        if (first == 0) {
          first = now;
        } else {
          tokensAfterFirst += t.event.tokens.length;
        }
        last = now;
      }
      return t;
    }
  }

  private static final class TaggedClock implements MapFunction<TaggedEvent, TaggedEvent> {
    @Override
    public TaggedEvent map(TaggedEvent t) {
      TAGGED_AT.putIfAbsent(t.event.streamId, System.nanoTime());
      return t;
    }
  }

  private static List<String> words(List<String> vocabulary, int n, Random random) {
    List<String> words = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      words.add(vocabulary.get(2 + random.nextInt(vocabulary.size() - 2)));
    }
    return words;
  }

  private static SegmentedEvent event(String stream, long seq, List<String> words) {
    SegmentedToken[] tokens = new SegmentedToken[words.size()];
    StringBuilder text = new StringBuilder();
    for (int i = 0; i < tokens.length; i++) {
      String word = words.get(i);
      int begin = text.length();
      text.append(word).append(' ');
      tokens[i] = new SegmentedToken(word, begin, begin + word.length(), i, 0, null);
    }
    return new SegmentedEvent(
        stream, seq, 0L, text.toString(), false, true, false, null, 0, tokens);
  }

  static List<SegmentedEvent> events(
      List<String> vocabulary, int streams, int totalTokens, Random random) {
    int perEvent = 4;
    int rounds = Math.max(1, totalTokens / (streams * perEvent));
    long[] position = new long[streams];
    List<SegmentedEvent> events = new ArrayList<>(rounds * streams);
    for (int round = 0; round < rounds; round++) {
      for (int s = 0; s < streams; s++) {
        SegmentedToken[] tokens = new SegmentedToken[perEvent];
        StringBuilder text = new StringBuilder();
        for (int i = 0; i < perEvent; i++) {
          String word = vocabulary.get(2 + random.nextInt(vocabulary.size() - 2));
          int begin = text.length();
          text.append(word).append(' ');
          tokens[i] =
              new SegmentedToken(word, begin, begin + word.length(), position[s]++, 0, null);
        }
        events.add(
            new SegmentedEvent(
                "s" + s,
                round,
                round * 1000L,
                text.toString(),
                false,
                round == 0,
                false,
                null,
                0,
                tokens));
      }
    }
    return events;
  }
}
