package dev.rillet.jobs.elmo;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.rillet.jobs.RilletTestAccess;
import dev.rillet.testutils.ElmoFixture;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code convert-elmo} and {@code elmo-embed} as users run them, checked against the fixture. */
class ElmoCommandsTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir Path tmp;

  private static List<JsonNode> readLines(Path file) throws Exception {
    List<JsonNode> out = new ArrayList<>();
    for (String line : Files.readAllLines(file)) {
      out.add(JSON.readTree(line));
    }
    return out;
  }

  /** Max |diff| between the top layer of one output line and the reference. */
  private static double topLayerDiff(JsonNode line, float[][] reference) {
    JsonNode layers = line.get("layers");
    assertThat(layers.size()).isEqualTo(3);
    JsonNode top = layers.get(2);
    assertThat(top.size()).isEqualTo(reference.length);
    double max = 0;
    for (int t = 0; t < reference.length; t++) {
      assertThat(top.get(t).size()).isEqualTo(reference[t].length);
      for (int i = 0; i < reference[t].length; i++) {
        max = Math.max(max, Math.abs(top.get(t).get(i).floatValue() - reference[t][i]));
      }
    }
    return max;
  }

  @Test
  void statefulEmbedOfOneListReproducesAllItsSentences() throws Exception {
    ElmoFixture fixture = ElmoFixture.require();
    List<List<String>> list = fixture.sentences().get(1);
    Path input = tmp.resolve("sentences.txt");
    Files.write(input, list.stream().map(s -> String.join(" ", s)).toList());
    Path output = tmp.resolve("out.jsonl");
    int code =
        RilletTestAccess.run(
            "elmo-embed",
            "--options",
            fixture.options().toString(),
            "--weights",
            fixture.weights().toString(),
            "--input",
            input.toString(),
            "--output",
            output.toString(),
            "--stateful");
    assertThat(code).isZero();
    List<JsonNode> lines = readLines(output);
    assertThat(lines).hasSize(10);
    double max = 0;
    for (int i = 0; i < 10; i++) {
      assertThat(JSON.convertValue(lines.get(i).get("tokens"), List.class)).isEqualTo(list.get(i));
      max = Math.max(max, topLayerDiff(lines.get(i), fixture.reference(1, i)));
    }
    System.out.printf("elmo-embed --stateful, fixture list 1: max |diff| = %.3g%n", max);
    assertThat(max).isLessThan(1e-5);
    // Layer 0 is the token vector twice.
    JsonNode first = lines.get(0).get("layers").get(0).get(0);
    assertThat(first.get(0).floatValue()).isEqualTo(first.get(16).floatValue());
  }

  @Test
  void convertedModelEmbedsFirstSentencesStatelessly() throws Exception {
    ElmoFixture fixture = ElmoFixture.require();
    List<List<List<String>>> lists = fixture.sentences();
    Path onnx = tmp.resolve("elmo.onnx");
    int converted =
        RilletTestAccess.run(
            "convert-elmo",
            "--options",
            fixture.options().toString(),
            "--weights",
            fixture.weights().toString(),
            "--output",
            onnx.toString());
    assertThat(converted).isZero();
    assertThat(onnx).isNotEmptyFile();
    Path input = tmp.resolve("firsts.txt");
    List<String> lines = new ArrayList<>();
    for (int k = 0; k < 3; k++) {
      lines.add(String.join(" ", lists.get(k).get(0)));
    }
    Files.write(input, lines);
    Path output = tmp.resolve("out.jsonl");
    int code =
        RilletTestAccess.run(
            "elmo-embed",
            "--model",
            onnx.toString(),
            "--input",
            input.toString(),
            "--output",
            output.toString(),
            "--batch-size",
            "2");
    assertThat(code).isZero();
    List<JsonNode> out = readLines(output);
    assertThat(out).hasSize(3);
    for (int k = 0; k < 3; k++) {
      assertThat(topLayerDiff(out.get(k), fixture.reference(k, 0))).isLessThan(1e-5);
    }
  }

  @Test
  void badFlagsAndFilesExitWithTwoAndSayWhy() throws Exception {
    Path input = Files.writeString(tmp.resolve("in.txt"), "a b\n");
    Path options = Files.writeString(tmp.resolve("options.json"), "{\"lstm\": {}}");
    Path weights = Files.writeString(tmp.resolve("weights.hdf5"), "x");
    assertThat(error("elmo-embed", "--input", input.toString(), "--output", "o.jsonl"))
        .contains("--model elmo.onnx or --options F --weights F");
    assertThat(
            error(
                "elmo-embed",
                "--model",
                tmp.resolve("none.onnx").toString(),
                "--input",
                input.toString(),
                "--output",
                tmp.resolve("o.jsonl").toString()))
        .contains("--model")
        .contains("no such file");
    assertThat(
            error(
                "convert-elmo",
                "--options",
                options.toString(),
                "--weights",
                weights.toString(),
                "--output",
                tmp.resolve("e.onnx").toString()))
        .contains("options.json: missing char_cnn.filters");
    assertThat(error("convert-elmo", "--options", options.toString()))
        .contains("--output is required");
    assertThat(error("convert-elmo", "--bogus", "1")).contains("unknown option --bogus");
  }

  /** Runs a command that must fail with exit code 2; returns what it printed on stderr. */
  private static String error(String... args) {
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int code = RilletTestAccess.run(new PrintStream(err, true, StandardCharsets.UTF_8), args);
    String text = err.toString(StandardCharsets.UTF_8);
    assertThat(code).as(text).isEqualTo(2);
    return text;
  }
}
