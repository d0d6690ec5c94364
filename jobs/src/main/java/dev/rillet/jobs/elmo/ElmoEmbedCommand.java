package dev.rillet.jobs.elmo;

import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import dev.rillet.elmo.runtime.ElmoLayers;
import dev.rillet.elmo.runtime.ElmoModel;
import dev.rillet.elmo.runtime.ElmoState;
import dev.rillet.jobs.cli.Command;
import dev.rillet.jobs.cli.CommandContext;
import dev.rillet.jobs.cli.CommandLine;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.configuration.ConfigOptions;
import org.apache.flink.configuration.Configuration;

/**
 * {@code rillet elmo-embed}: ELMo activations for a file of sentences, one whitespace-tokenised
 * sentence per line, written as one JSON object per line: {@code {"tokens": [...], "layers":
 * [[[...] per token] per layer]}} with all L + 1 layers and the markers removed. Stateless: each
 * line from zero state, run in batches. {@code --stateful}: one stream, the LSTM states carried
 * from each line to the next.
 */
public final class ElmoEmbedCommand implements Command {
  static final ConfigOption<String> INPUT =
      ConfigOptions.key("input")
          .stringType()
          .noDefaultValue()
          .withDescription("Text file: one sentence per line, tokens separated by whitespace.");

  static final ConfigOption<String> OUTPUT =
      ConfigOptions.key("output")
          .stringType()
          .noDefaultValue()
          .withDescription("JSON-lines file to write, one object per input line.");

  static final ConfigOption<Integer> BATCH =
      ConfigOptions.key("batch-size")
          .intType()
          .defaultValue(32)
          .withDescription(
              "Sentences per ONNX call without --stateful (results do not depend on it).");

  @Override
  public String name() {
    return "elmo-embed";
  }

  @Override
  public String summary() {
    return "ELMo activations (all layers) for a file of tokenised sentences, as JSON lines.";
  }

  @Override
  public List<ConfigOption<?>> options() {
    return List.of(
        ElmoFlags.OPTIONS,
        ElmoFlags.WEIGHTS,
        ElmoFlags.MODEL,
        INPUT,
        OUTPUT,
        ElmoFlags.STATEFUL,
        BATCH,
        ElmoFlags.THREADS);
  }

  @Override
  public int run(CommandContext context, Configuration conf) throws Exception {
    Path input = ElmoFlags.existingFile(conf, INPUT);
    Path output = ElmoFlags.requiredPath(conf, OUTPUT);
    int batchSize = conf.get(BATCH);
    if (batchSize < 1) {
      throw new CommandLine.UsageException("--batch-size must be >= 1, got " + batchSize);
    }
    boolean stateful = conf.get(ElmoFlags.STATEFUL);
    long sentences = 0;
    long tokens = 0;
    long start;
    try (ElmoModel model = ElmoFlags.open(conf);
        BufferedReader in = Files.newBufferedReader(input, StandardCharsets.UTF_8);
        OutputStream out = Files.newOutputStream(output);
        JsonGenerator json = new JsonFactory().createGenerator(out, JsonEncoding.UTF8)) {
      json.setRootValueSeparator(null);
      start = System.nanoTime(); // time the sentences, not the model loading
      // One stream: a single state carried line to line, so lines run one at a time, in order.
      List<ElmoState> state = stateful ? List.of(model.newState()) : null;
      int perCall = stateful ? 1 : batchSize;
      List<List<String>> batch = new ArrayList<>(perCall);
      String line;
      while (true) {
        line = in.readLine();
        if (line != null) {
          String trimmed = line.strip();
          batch.add(trimmed.isEmpty() ? List.of() : Arrays.asList(trimmed.split("\\s+")));
        }
        if (batch.size() == perCall || (line == null && !batch.isEmpty())) {
          List<ElmoLayers> results = stateful ? model.embed(batch, state) : model.embed(batch);
          for (int i = 0; i < batch.size(); i++) {
            write(json, batch.get(i), results.get(i));
            tokens += batch.get(i).size();
          }
          sentences += batch.size();
          batch.clear();
        }
        if (line == null) {
          break;
        }
      }
    }
    double seconds = (System.nanoTime() - start) / 1e9;
    context
        .out()
        .printf(
            "wrote %s: %d sentences, %d tokens in %.1f s (%.0f tokens/s)%n",
            output, sentences, tokens, seconds, tokens / Math.max(seconds, 1e-9));
    return 0;
  }

  private static void write(JsonGenerator json, List<String> tokens, ElmoLayers layers)
      throws IOException {
    json.writeStartObject();
    json.writeArrayFieldStart("tokens");
    for (String t : tokens) {
      json.writeString(t);
    }
    json.writeEndArray();
    json.writeArrayFieldStart("layers");
    float[] data = layers.data();
    for (int l = 0; l < layers.layers(); l++) {
      json.writeStartArray();
      for (int t = 0; t < layers.tokens(); t++) {
        json.writeStartArray();
        int at = layers.offset(l, t);
        for (int i = 0; i < layers.dim(); i++) {
          json.writeNumber(data[at + i]);
        }
        json.writeEndArray();
      }
      json.writeEndArray();
    }
    json.writeEndArray();
    json.writeEndObject();
    json.writeRaw('\n');
  }
}
