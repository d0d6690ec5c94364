package dev.rillet.jobs.elmo;

import dev.rillet.elmo.conversion.ElmoOptions;
import dev.rillet.elmo.conversion.ElmoWeights;
import dev.rillet.elmo.runtime.ElmoModel;
import dev.rillet.jobs.cli.CommandLine.UsageException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.configuration.ConfigOptions;
import org.apache.flink.configuration.Configuration;

/** Flags shared by the ELMo commands, and how they name a model. */
final class ElmoFlags {
  static final ConfigOption<String> OPTIONS =
      ConfigOptions.key("options")
          .stringType()
          .noDefaultValue()
          .withDescription("AllenNLP / bilm-tf options.json of the ELMo model (with --weights).");

  static final ConfigOption<String> WEIGHTS =
      ConfigOptions.key("weights")
          .stringType()
          .noDefaultValue()
          .withDescription("The model's weights.hdf5 (with --options).");

  static final ConfigOption<String> MODEL =
      ConfigOptions.key("model")
          .stringType()
          .noDefaultValue()
          .withDescription(
              "An ONNX file written by convert-elmo, instead of --options and --weights.");

  static final ConfigOption<Boolean> STATEFUL =
      ConfigOptions.key("stateful")
          .booleanType()
          .defaultValue(false)
          .withDescription(
              "Carry the LSTM states from each sentence to the next (AllenNLP's stateful mode);"
                  + " without it every sentence starts from zero state.");

  static final ConfigOption<Integer> THREADS =
      ConfigOptions.key("intra-op-threads")
          .intType()
          .defaultValue(1)
          .withDescription("ONNX Runtime intra-op threads.");

  private ElmoFlags() {}

  /** A required path flag that must name an existing file. */
  static Path existingFile(Configuration conf, ConfigOption<String> flag) {
    Path p = requiredPath(conf, flag);
    if (!Files.isRegularFile(p)) {
      throw new UsageException("--" + flag.key() + " " + p + ": no such file");
    }
    return p;
  }

  static Path requiredPath(Configuration conf, ConfigOption<String> flag) {
    return Path.of(
        conf.getOptional(flag)
            .orElseThrow(() -> new UsageException("--" + flag.key() + " is required")));
  }

  /** The options + weights pair, after checking the flags name one. */
  static ElmoOptions options(Configuration conf) throws IOException {
    return ElmoOptions.read(existingFile(conf, OPTIONS));
  }

  /**
   * Opens the model the flags name: {@code --model file.onnx} or {@code --options} + {@code
   * --weights} (converted in memory, stateful or not as {@code --stateful} says).
   */
  static ElmoModel open(Configuration conf) throws IOException {
    Optional<String> model = conf.getOptional(MODEL);
    boolean pair = conf.getOptional(OPTIONS).isPresent() || conf.getOptional(WEIGHTS).isPresent();
    int threads = conf.get(THREADS);
    if (threads < 1) {
      throw new UsageException("--intra-op-threads must be >= 1, got " + threads);
    }
    if (model.isPresent() == pair) {
      throw new UsageException(
          "name the model with either --model elmo.onnx or --options F --weights F");
    }
    if (model.isPresent()) {
      ElmoModel m =
          ElmoModel.builder().onnx(existingFile(conf, MODEL)).intraOpThreads(threads).build();
      if (conf.get(STATEFUL) && !m.stateful()) {
        m.close();
        throw new UsageException(
            "--stateful needs a stateful model: convert it with convert-elmo --stateful");
      }
      return m;
    }
    ElmoOptions options = options(conf);
    ElmoWeights weights = ElmoWeights.read(existingFile(conf, WEIGHTS), options);
    return ElmoModel.builder()
        .convert(options, weights)
        .stateful(conf.get(STATEFUL))
        .intraOpThreads(threads)
        .build();
  }
}
