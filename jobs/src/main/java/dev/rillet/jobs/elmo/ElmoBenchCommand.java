package dev.rillet.jobs.elmo;

import dev.rillet.elmo.conversion.ElmoOnnxConverter;
import dev.rillet.elmo.conversion.ElmoOptions;
import dev.rillet.elmo.conversion.ElmoWeights;
import dev.rillet.elmo.runtime.ElmoModel;
import dev.rillet.jobs.cli.Command;
import dev.rillet.jobs.cli.CommandContext;
import dev.rillet.jobs.cli.CommandLine;
import dev.rillet.jobs.pipeline.PipelineOptions;
import dev.rillet.onnx.OrtSettings;
import dev.rillet.onnx.graph.OnnxModelWriter;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.configuration.ConfigOptions;
import org.apache.flink.configuration.Configuration;

/**
 * {@code rillet bench elmo}: tokens per second of {@link ElmoModel} (stateless) with and without
 * its token-vector cache, at several batch sizes, on random words or the sentences of a text, for
 * the published small and original shapes with random weights and for any options.json +
 * weights.hdf5 folder (e.g. the fixture), with the fraction of the machine's fp32 peak that the
 * model's FLOPs per token reach (counting the char CNN of every token, cached or not).
 */
public final class ElmoBenchCommand implements Command {
  static final ConfigOption<String> MODELS =
      ConfigOptions.key("models")
          .stringType()
          .defaultValue("small")
          .withDescription(
              "Comma-separated: 'small' (2x1024_128_2048cnn_1xhighway) or 'original'"
                  + " (2x4096_512_2048cnn_2xhighway) with random weights, or a folder holding"
                  + " options.json and one .hdf5 weights file (e.g. shared/data/elmo-fixture).");

  static final ConfigOption<String> BATCHES =
      ConfigOptions.key("batch-sizes")
          .stringType()
          .defaultValue("1,8,32")
          .withDescription("Comma-separated sentences per ONNX call.");

  static final ConfigOption<Integer> LENGTH =
      ConfigOptions.key("sentence-length")
          .intType()
          .defaultValue(20)
          .withDescription("Tokens per sentence.");

  static final ConfigOption<Integer> TOKENS =
      ConfigOptions.key("tokens")
          .intType()
          .defaultValue(2000)
          .withDescription("Tokens to time per batch size (after one warm-up call).");

  static final ConfigOption<String> CACHE =
      ConfigOptions.key("char-cnn-cache")
          .stringType()
          .defaultValue("both")
          .withDescription(
              "'off' (the single graph), 'on' (token-vector cache of"
                  + " ElmoModel.DEFAULT_TOKEN_CACHE_SIZE: the char CNN runs only for tokens not"
                  + " cached), 'both' (off and on side by side, with the speed-up over off), or a"
                  + " comma-separated list of off, on and split (the split graphs with no cache:"
                  + " the char CNN runs once per distinct token of a batch, never on padding).");

  static final ConfigOption<String> TEXT =
      ConfigOptions.key("text")
          .stringType()
          .noDefaultValue()
          .withDescription(
              "Time on consecutive sentences of this file (one whitespace-tokenised sentence per"
                  + " line; a leading integer field on every line, as in shared/data/sst, is"
                  + " dropped) instead of random words; --sentence-length is then ignored. Each"
                  + " batch size reads on from where the previous one stopped, after"
                  + " --warm-up-tokens of untimed text that fill the cache.");

  static final ConfigOption<Integer> WARM_UP =
      ConfigOptions.key("warm-up-tokens")
          .intType()
          .defaultValue(2000)
          .withDescription(
              "With --text: tokens run untimed before each timed part (with the cache on they"
                  + " fill it, as a running job would have).");

  static final ConfigOption<Double> PEAK =
      ConfigOptions.key("peak-gflops")
          .doubleType()
          .defaultValue(190.0)
          .withDescription("The machine's fp32 peak in GFLOP/s, for the fraction-of-peak column.");

  @Override
  public String name() {
    return "bench elmo";
  }

  @Override
  public String summary() {
    return "Benchmark ELMo: tokens/s per batch size and fraction of fp32 peak.";
  }

  @Override
  public List<ConfigOption<?>> options() {
    return List.of(
        MODELS,
        BATCHES,
        LENGTH,
        TOKENS,
        CACHE,
        TEXT,
        WARM_UP,
        PEAK,
        ElmoFlags.THREADS,
        PipelineOptions.EXECUTION_PROVIDER);
  }

  @Override
  public int run(CommandContext context, Configuration conf) throws Exception {
    int length = conf.get(LENGTH);
    int tokens = conf.get(TOKENS);
    int threads = conf.get(ElmoFlags.THREADS);
    int warmUp = conf.get(WARM_UP);
    if (length < 1 || tokens < 1 || threads < 1 || warmUp < 0) {
      throw new CommandLine.UsageException(
          "--sentence-length, --tokens and --intra-op-threads must be >= 1, --warm-up-tokens"
              + " >= 0");
    }
    List<Integer> batches = new ArrayList<>();
    for (String b : conf.get(BATCHES).split(",")) {
      try {
        batches.add(Integer.parseInt(b.trim()));
      } catch (NumberFormatException e) {
        throw new CommandLine.UsageException("--batch-sizes: '" + b + "' is not an integer");
      }
    }
    List<CacheMode> modes = cacheModes(conf.get(CACHE));
    Optional<String> textFile = conf.getOptional(TEXT);
    List<List<String>> text = null;
    if (textFile.isPresent()) {
      Path file = Path.of(textFile.get());
      if (!Files.isRegularFile(file)) {
        throw new CommandLine.UsageException("--text " + file + ": no such file");
      }
      text = readText(file);
      if (text.isEmpty()) {
        throw new CommandLine.UsageException("--text " + file + ": no sentences");
      }
    }
    context
        .out()
        .printf(
            "stateless, %s, %d intra-op thread(s), peak %.0f GFLOP/s%n",
            text == null
                ? length + " random-word tokens/sentence"
                : "sentences of " + textFile.get() + " (" + warmUp + " warm-up tokens per row)",
            threads,
            conf.get(PEAK));
    context
        .out()
        .printf(
            "%-12s %6s %6s %10s %10s %10s %8s %7s %7s%n",
            "model",
            "batch",
            "cache",
            "MFLOP/tok",
            "tokens/s",
            "GFLOP/s",
            "of peak",
            "hits",
            "vs off");
    for (String name : conf.get(MODELS).split(",")) {
      name = name.trim();
      ElmoOptions options;
      ElmoWeights weights;
      if (name.equals("small") || name.equals("original")) {
        options = publishedShape(name.equals("original"));
        weights = ElmoWeights.random(options, 1);
      } else {
        Path dir = Path.of(name);
        options = ElmoOptions.read(dir.resolve("options.json"));
        weights = ElmoWeights.read(weightsIn(dir), options);
      }
      double flops = flopsPerToken(options);
      List<ElmoModel> models = new ArrayList<>();
      try {
        for (CacheMode mode : modes) {
          models.add(
              open(
                  mode,
                  options,
                  weights,
                  new OrtSettings(threads, conf.get(PipelineOptions.EXECUTION_PROVIDER))));
        }
        weights = null; // the sessions hold their own copies; let the arrays go
        Workload workload = text == null ? Workload.random(length) : new Workload(text, warmUp);
        for (int batch : batches) {
          List<Measure> row = measure(models, workload, batch, tokens);
          double offRate = 0;
          for (int m = 0; m < row.size(); m++) {
            Measure r = row.get(m);
            CacheMode mode = modes.get(m);
            if (mode == CacheMode.OFF) {
              offRate = r.tokensPerSecond();
            }
            double gflops = r.tokensPerSecond() * flops / 1e9;
            context
                .out()
                .printf(
                    "%-12s %6d %6s %10.1f %10.0f %10.1f %7.1f%% %7s %7s%n",
                    shortName(name),
                    batch,
                    mode.label(),
                    flops / 1e6,
                    r.tokensPerSecond(),
                    gflops,
                    100 * gflops / conf.get(PEAK),
                    mode == CacheMode.ON ? String.format("%.1f%%", 100 * r.hitRate()) : "-",
                    mode != CacheMode.OFF && offRate > 0
                        ? String.format("%.2fx", r.tokensPerSecond() / offRate)
                        : "-");
          }
        }
      } finally {
        for (ElmoModel m : models) {
          m.close();
        }
      }
    }
    return 0;
  }

  /** The ways to run the model that --char-cnn-cache asks for, in order. */
  enum CacheMode {
    OFF,
    SPLIT,
    ON;

    String label() {
      return name().toLowerCase(java.util.Locale.ROOT);
    }
  }

  static List<CacheMode> cacheModes(String flag) {
    if (flag.trim().equals("both")) {
      return List.of(CacheMode.OFF, CacheMode.ON);
    }
    List<CacheMode> modes = new ArrayList<>();
    for (String m : flag.split(",")) {
      CacheMode mode =
          switch (m.trim()) {
            case "off" -> CacheMode.OFF;
            case "split" -> CacheMode.SPLIT;
            case "on" -> CacheMode.ON;
            default ->
                throw new CommandLine.UsageException(
                    "--char-cnn-cache: '" + m.trim() + "' is not one of on, off, both, split");
          };
      if (!modes.contains(mode)) {
        modes.add(mode);
      }
    }
    return modes;
  }

  private static ElmoModel open(
      CacheMode mode, ElmoOptions options, ElmoWeights weights, OrtSettings settings)
      throws IOException {
    switch (mode) {
      case OFF:
        return ElmoModel.builder()
            .convert(options, weights)
            .ortSettings(settings)
            .tokenCacheSize(0)
            .build();
      case ON:
        return ElmoModel.builder()
            .convert(options, weights)
            .ortSettings(settings)
            .tokenCacheSize(ElmoModel.DEFAULT_TOKEN_CACHE_SIZE)
            .build();
      default:
        // Only files give the split graphs without a cache.
        Path encoder = Files.createTempFile("rillet-elmo-tokens", ".onnx");
        Path contextual = Files.createTempFile("rillet-elmo-contextual", ".onnx");
        try {
          OnnxModelWriter.write(ElmoOnnxConverter.convertTokenEncoder(options, weights), encoder);
          OnnxModelWriter.write(
              ElmoOnnxConverter.convertContextual(options, weights, false), contextual);
          return ElmoModel.builder()
              .splitOnnx(encoder, contextual)
              .ortSettings(settings)
              .tokenCacheSize(0)
              .build();
        } finally {
          Files.deleteIfExists(encoder);
          Files.deleteIfExists(contextual);
        }
    }
  }

  /** Timed throughput of one model at one batch size, and its cache hit rate while timed. */
  record Measure(double tokensPerSecond, double hitRate) {}

  /**
   * Where the sentences come from: random words, new for every call, or consecutive sentences of a
   * text, each batch size reading on from where the last one stopped.
   */
  static final class Workload {
    private final List<List<String>> text;
    private final int warmUpTokens;
    private final int length;
    private final SplittableRandom random = new SplittableRandom(1);
    private int cursor;

    Workload(List<List<String>> text, int warmUpTokens) {
      this.text = text;
      this.warmUpTokens = warmUpTokens;
      this.length = 0;
    }

    private Workload(int length) {
      this.text = null;
      this.warmUpTokens = 0;
      this.length = length;
    }

    static Workload random(int length) {
      return new Workload(length);
    }

    /** Consecutive batches of {@code batch} sentences holding at least {@code tokens} tokens. */
    List<List<List<String>>> next(int batch, int tokens) {
      List<List<List<String>>> out = new ArrayList<>();
      if (text == null) {
        // Fresh words for every call: a cache finds (nearly) nothing, its worst case.
        int calls = Math.max(1, (tokens + batch * length - 1) / (batch * length));
        for (int c = 0; c < calls; c++) {
          out.add(sentences(batch, length, random));
        }
        return out;
      }
      int n = 0;
      while (n < tokens || out.isEmpty()) {
        List<List<String>> b = new ArrayList<>(batch);
        for (int i = 0; i < batch; i++) {
          List<String> s = text.get(cursor);
          cursor = (cursor + 1) % text.size();
          b.add(s);
          n += s.size();
        }
        out.add(b);
      }
      return out;
    }
  }

  /**
   * Runs each model on the same sentences: untimed warm-up (one call without a cache; with one, all
   * of the warm-up text, to fill it), then the timed batches.
   */
  static List<Measure> measure(List<ElmoModel> models, Workload workload, int batch, int tokens) {
    List<List<List<String>>> warmUp = workload.next(batch, workload.warmUpTokens);
    List<List<List<String>>> timed = workload.next(batch, tokens);
    long timedTokens = 0;
    for (List<List<String>> b : timed) {
      for (List<String> s : b) {
        timedTokens += s.size();
      }
    }
    List<ElmoModel.TokenCacheStats> before = new ArrayList<>();
    for (ElmoModel model : models) {
      for (List<List<String>> b : model.tokenCacheSize() > 0 ? warmUp : warmUp.subList(0, 1)) {
        model.embed(b);
      }
      before.add(model.tokenCacheStats());
    }
    // The models take turns over a few slices of the timed batches, so that load from other jobs
    // on the machine falls on all of them alike.
    long[] nanos = new long[models.size()];
    int slices = Math.min(4, timed.size());
    for (int slice = 0; slice < slices; slice++) {
      List<List<List<String>>> part =
          timed.subList(slice * timed.size() / slices, (slice + 1) * timed.size() / slices);
      for (int m = 0; m < models.size(); m++) {
        long start = System.nanoTime();
        for (List<List<String>> b : part) {
          models.get(m).embed(b);
        }
        nanos[m] += System.nanoTime() - start;
      }
    }
    List<Measure> out = new ArrayList<>();
    for (int m = 0; m < models.size(); m++) {
      ElmoModel.TokenCacheStats after = models.get(m).tokenCacheStats();
      long lookups = after.lookups() - before.get(m).lookups();
      double hitRate = lookups == 0 ? 0 : (double) (after.hits() - before.get(m).hits()) / lookups;
      out.add(new Measure(timedTokens / (nanos[m] / 1e9), hitRate));
    }
    return out;
  }

  /** Sentences of a text file; drops a leading integer field present on every line (labels). */
  static List<List<String>> readText(Path file) throws IOException {
    List<List<String>> sentences = new ArrayList<>();
    boolean labelled = true;
    for (String line : Files.readAllLines(file)) {
      String trimmed = line.trim();
      if (trimmed.isEmpty()) {
        continue;
      }
      List<String> tokens = List.of(trimmed.split("\\s+"));
      labelled &= tokens.size() > 1 && tokens.get(0).matches("-?\\d+");
      sentences.add(tokens);
    }
    if (labelled) {
      sentences.replaceAll(s -> s.subList(1, s.size()));
    }
    return sentences;
  }

  private static String shortName(String name) {
    Path p = Path.of(name).getFileName();
    return p == null ? name : p.toString();
  }

  private static Path weightsIn(Path dir) throws IOException {
    try (Stream<Path> files = Files.list(dir)) {
      List<Path> hdf5 =
          files
              .filter(f -> f.getFileName().toString().endsWith(".hdf5"))
              .filter(f -> !f.getFileName().toString().startsWith("lm_embeddings"))
              .toList();
      if (hdf5.size() != 1) {
        throw new CommandLine.UsageException(
            "--models " + dir + ": expected options.json and one weights .hdf5, found " + hdf5);
      }
      return hdf5.get(0);
    }
  }

  /** The published char CNN with the small (2x1024_128) or original (2x4096_512) biLSTM. */
  static ElmoOptions publishedShape(boolean original) {
    return new ElmoOptions(
        "the published ELMo shape",
        16,
        new int[][] {{1, 32}, {2, 32}, {3, 64}, {4, 128}, {5, 256}, {6, 512}, {7, 1024}},
        original ? 2 : 1,
        ElmoOptions.Activation.RELU,
        262,
        50,
        original ? 4096 : 1024,
        original ? 512 : 128,
        2,
        OptionalDouble.of(3),
        OptionalDouble.of(3),
        true);
  }

  /** Multiply-adds x 2 per token: char CNN, highways, projection, both LSTM directions. */
  static double flopsPerToken(ElmoOptions o) {
    double flops = 0;
    int w = o.maxCharactersPerToken();
    for (int i = 0; i < o.numFilters(); i++) {
      int width = o.filterWidth(i);
      flops += 2.0 * (w - width + 1) * width * o.charDim() * o.filterCount(i);
    }
    double f = o.totalFilters();
    flops += o.nHighway() * 2 * (2.0 * f * f);
    if (o.tokenProjects()) {
      flops += 2.0 * f * o.projectionDim();
    }
    double p = o.projectionDim();
    double h = o.lstmDim();
    double cell = 2.0 * (2 * p) * (4 * h) + (o.lstmProjects() ? 2.0 * h * p : 0);
    return flops + 2 * o.nLayers() * cell;
  }

  /** Random lower-case words of 2..10 letters. */
  static List<List<String>> sentences(int batch, int length, SplittableRandom random) {
    List<List<String>> out = new ArrayList<>(batch);
    for (int b = 0; b < batch; b++) {
      List<String> s = new ArrayList<>(length);
      for (int t = 0; t < length; t++) {
        char[] word = new char[2 + random.nextInt(9)];
        for (int i = 0; i < word.length; i++) {
          word[i] = (char) ('a' + random.nextInt(26));
        }
        s.add(new String(word));
      }
      out.add(s);
    }
    return out;
  }
}
