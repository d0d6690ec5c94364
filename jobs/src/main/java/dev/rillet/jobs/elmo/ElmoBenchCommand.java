package dev.rillet.jobs.elmo;

import dev.rillet.elmo.ElmoModel;
import dev.rillet.elmo.ElmoOptions;
import dev.rillet.elmo.ElmoWeights;
import dev.rillet.jobs.cli.CommandLine;
import dev.rillet.jobs.cli.Rillet;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalDouble;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.configuration.ConfigOptions;
import org.apache.flink.configuration.Configuration;

/**
 * {@code rillet bench elmo}: tokens per second of {@link ElmoModel} (stateless, char CNN included)
 * at several batch sizes, for the published small and original shapes with random weights and for
 * any options.json + weights.hdf5 folder (e.g. the fixture), with the fraction of the machine's
 * fp32 peak that the model's FLOPs per token reach.
 */
public final class ElmoBenchCommand implements Rillet.Command {
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
  public CommandLine commandLine() {
    return new CommandLine(
        name(), summary(), List.of(MODELS, BATCHES, LENGTH, TOKENS, PEAK, ElmoFlags.THREADS));
  }

  @Override
  public int run(Configuration conf) throws Exception {
    int length = conf.get(LENGTH);
    int tokens = conf.get(TOKENS);
    int threads = conf.get(ElmoFlags.THREADS);
    if (length < 1 || tokens < 1 || threads < 1) {
      throw new CommandLine.UsageException(
          "--sentence-length, --tokens and --intra-op-threads must be >= 1");
    }
    List<Integer> batches = new ArrayList<>();
    for (String b : conf.get(BATCHES).split(",")) {
      try {
        batches.add(Integer.parseInt(b.trim()));
      } catch (NumberFormatException e) {
        throw new CommandLine.UsageException("--batch-sizes: '" + b + "' is not an integer");
      }
    }
    System.out.printf(
        "stateless, %d tokens/sentence, %d intra-op thread(s), peak %.0f GFLOP/s%n",
        length, threads, conf.get(PEAK));
    System.out.printf(
        "%-12s %6s %10s %10s %10s %8s%n",
        "model", "batch", "MFLOP/tok", "tokens/s", "GFLOP/s", "of peak");
    for (String name : conf.get(MODELS).split(",")) {
      ElmoOptions options;
      ElmoWeights weights;
      name = name.trim();
      if (name.equals("small") || name.equals("original")) {
        options = publishedShape(name.equals("original"));
        weights = ElmoWeights.random(options, 1);
      } else {
        Path dir = Path.of(name);
        options = ElmoOptions.read(dir.resolve("options.json"));
        weights = ElmoWeights.read(weightsIn(dir), options);
      }
      double flops = flopsPerToken(options);
      try (ElmoModel model = ElmoModel.convert(options, weights, false, threads)) {
        weights = null; // the session holds its own copy; let the arrays go
        for (int batch : batches) {
          List<List<String>> sentences = sentences(batch, length, new SplittableRandom(batch));
          model.embed(sentences); // warm-up
          int calls = Math.max(1, (tokens + batch * length - 1) / (batch * length));
          long start = System.nanoTime();
          for (int c = 0; c < calls; c++) {
            model.embed(sentences);
          }
          double seconds = (System.nanoTime() - start) / 1e9;
          double rate = (double) calls * batch * length / seconds;
          double gflops = rate * flops / 1e9;
          System.out.printf(
              "%-12s %6d %10.1f %10.0f %10.1f %7.1f%%%n",
              shortName(name), batch, flops / 1e6, rate, gflops, 100 * gflops / conf.get(PEAK));
        }
      }
    }
    return 0;
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
