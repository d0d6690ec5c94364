package dev.rillet.jobs.elmo;

import dev.rillet.elmo.conversion.ElmoOnnxConverter;
import dev.rillet.elmo.conversion.ElmoOptions;
import dev.rillet.elmo.conversion.ElmoWeights;
import dev.rillet.jobs.cli.Command;
import dev.rillet.jobs.cli.CommandContext;
import dev.rillet.jobs.cli.CommandLine;
import dev.rillet.onnx.graph.OnnxModelWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.configuration.ConfigOptions;
import org.apache.flink.configuration.Configuration;

/**
 * {@code rillet convert-elmo --options F --weights F --output elmo.onnx [--stateful]}: writes the
 * ONNX model of {@link ElmoOnnxConverter} for an AllenNLP / bilm-tf ELMo.
 */
public final class ConvertElmoCommand implements Command {
  static final ConfigOption<String> OUTPUT =
      ConfigOptions.key("output")
          .stringType()
          .noDefaultValue()
          .withDescription("The ONNX file to write (replaced if it exists).");

  @Override
  public String name() {
    return "convert-elmo";
  }

  @Override
  public String summary() {
    return "Convert an ELMo options.json + weights.hdf5 pair to an ONNX model.";
  }

  @Override
  public List<ConfigOption<?>> options() {
    return List.of(ElmoFlags.OPTIONS, ElmoFlags.WEIGHTS, OUTPUT, ElmoFlags.STATEFUL);
  }

  @Override
  public int run(CommandContext context, Configuration conf) throws Exception {
    Path output = ElmoFlags.requiredPath(conf, OUTPUT);
    Path weightsFile = ElmoFlags.existingFile(conf, ElmoFlags.WEIGHTS);
    ElmoOptions options = ElmoFlags.options(conf);
    ElmoWeights weights = ElmoWeights.read(weightsFile, options);
    Path parent = output.toAbsolutePath().getParent();
    if (parent != null && !Files.isDirectory(parent)) {
      throw new CommandLine.UsageException("--output " + output + ": no such directory " + parent);
    }
    boolean stateful = conf.get(ElmoFlags.STATEFUL);
    OnnxModelWriter.write(ElmoOnnxConverter.convert(options, weights, stateful), output);
    context
        .out()
        .printf(
            "wrote %s: %d LSTM layers, %d parameters, %.1f MB, %s%n",
            output,
            options.nLayers(),
            weights.parameterCount(),
            Files.size(output) / 1e6,
            stateful ? "stateful (h_in/c_in -> h_out/c_out)" : "stateless");
    return 0;
  }
}
