package dev.rillet.jobs.bench;

import dev.rillet.jobs.cli.Command;
import dev.rillet.jobs.cli.CommandLine;
import dev.rillet.jobs.live.ModelLocator;
import dev.rillet.jobs.live.PipelineOptions;
import dev.rillet.recurrent.RecurrentTagger;
import dev.rillet.recurrent.TaggedEvent;
import dev.rillet.segment.SegmentedEvent;
import dev.rillet.segment.SegmentedToken;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.configuration.ConfigOptions;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.functions.sink.v2.DiscardingSink;

/**
 * {@code rillet bench tagger}: tokens per second of the {@link RecurrentTagger} on a local
 * MiniCluster for several bundle sizes, run side by side in one process so the ratios compare like
 * with like. Input: many interleaved streams of vocabulary words, a few tokens per event.
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

  @Override
  public String name() {
    return "bench tagger";
  }

  @Override
  public String summary() {
    return "Benchmark the recurrent tagger: tokens/s per bundle size on a local MiniCluster.";
  }

  @Override
  public CommandLine commandLine() {
    return new CommandLine(
        name(),
        summary(),
        List.of(PipelineOptions.MODEL, STREAMS, TOKENS, BUNDLES, PipelineOptions.INTRA_OP_THREADS));
  }

  @Override
  public int run(Configuration conf) throws Exception {
    ModelLocator.CheckedModel model = ModelLocator.resolveAndCheck(conf.get(PipelineOptions.MODEL));
    List<String> vocabulary = Files.readAllLines(model.dir().resolve("vocab.txt"));
    List<SegmentedEvent> events =
        events(vocabulary, conf.get(STREAMS), conf.get(TOKENS), new Random(1));
    long tokens = events.stream().mapToLong(e -> e.tokens.length).sum();
    System.out.printf(
        "model %s, %d streams, %d events, %d tokens, parallelism 1, %d intra-op thread(s)%n",
        model.modelId(),
        conf.get(STREAMS),
        events.size(),
        tokens,
        conf.get(PipelineOptions.INTRA_OP_THREADS));
    System.out.printf(
        "%-8s %-7s %12s %12s %10s%n", "bundle", "batch", "seconds", "tokens/s", "ratio");
    double base = 0;
    // Warm-up run: JIT, ONNX Runtime session creation, MiniCluster start-up paths.
    run(model, events, 64, conf.get(PipelineOptions.INTRA_OP_THREADS));
    for (String b : conf.get(BUNDLES).split(",")) {
      int bundle = Integer.parseInt(b.trim());
      double seconds = run(model, events, bundle, conf.get(PipelineOptions.INTRA_OP_THREADS));
      double rate = tokens / seconds;
      if (base == 0) {
        base = rate;
      }
      System.out.printf(
          "%-8d %-7d %12.2f %12.0f %9.2fx%n",
          bundle, Math.min(bundle, 64), seconds, rate, rate / base);
    }
    return 0;
  }

  private static double run(
      ModelLocator.CheckedModel model, List<SegmentedEvent> events, int bundle, int threads)
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
                .maxBatchSize(Math.min(bundle, 64))
                .intraOpThreads(threads)
                .build())
        .sinkTo(new DiscardingSink<>());
    long start = System.nanoTime();
    env.execute("bench-tagger-" + bundle);
    return (System.nanoTime() - start) / 1e9;
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
