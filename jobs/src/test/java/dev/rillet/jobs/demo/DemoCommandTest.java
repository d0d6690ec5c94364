package dev.rillet.jobs.demo;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.rillet.jobs.CommandOutput;
import dev.rillet.jobs.RilletTestAccess;
import dev.rillet.testutils.TestData;
import dev.rillet.testutils.TestModels;
import dev.rillet.tokenize.WordTokenizer;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code rillet demo} as a user runs it: own input file, stop when done, JSON-lines sink. */
class DemoCommandTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  @Test
  void feedsTheInputAndWritesEveryOutputRecord(@TempDir Path dir) throws Exception {
    List<String> texts =
        List.of(
            "I loved this film. The acting was great",
            "and the music too!",
            "The service was slow and the food cold.",
            "Never again.");
    List<String> lines = new ArrayList<>();
    lines.add(event("a", 0, texts.get(0), false));
    lines.add(event("b", 0, texts.get(2), false));
    lines.add(event("a", 1, texts.get(1), true));
    lines.add(event("b", 1, texts.get(3), true));
    Path input = Files.write(dir.resolve("in.jsonl"), lines);
    Path output = dir.resolve("out.jsonl");

    CommandOutput demo = runDemo(input, output, "--elmo", "none");
    assertThat(demo.code()).as(demo.err()).isZero();

    WordTokenizer tokenizer = new WordTokenizer();
    int expectedTokens = texts.stream().mapToInt(t -> tokenizer.tokenize(t).size()).sum();
    Map<String, Integer> perTopic = new HashMap<>();
    List<String> tokensOfA = new ArrayList<>();
    for (String line : Files.readAllLines(output)) {
      JsonNode record = JSON.readTree(line);
      perTopic.merge(record.get("topic").asText(), 1, Integer::sum);
      JsonNode value = record.get("value");
      if (record.get("topic").asText().equals("rillet.tags")
          && value.get("streamId").asText().equals("a")) {
        tokensOfA.add(value.get("token").asText());
      }
    }
    assertThat(perTopic.get("rillet.tags")).isEqualTo(expectedTokens);
    assertThat(perTopic.get("rillet.sentiment")).isEqualTo(4);
    assertThat(tokensOfA)
        .containsExactly(
            "I", "loved", "this", "film", ".", "The", "acting", "was", "great", "and", "the",
            "music", "too", "!");
  }

  @Test
  void showsEachCompletedSentencesElmoAnalysis(@TempDir Path dir) throws Exception {
    Path elmo = TestData.require().resolve("elmo-fixture");
    List<String> lines =
        List.of(
            event("a", 0, "I loved this film. The acting was great", false),
            event("b", 0, "The service was slow and the food cold.", false),
            event("a", 1, "and the music too!", true),
            event("b", 1, "Never again.", true));
    Path input = Files.write(dir.resolve("in.jsonl"), lines);
    Path output = dir.resolve("out.jsonl");
    CommandOutput demo =
        runDemo(
            input,
            output,
            "--elmo-options",
            elmo.resolve("options.json").toString(),
            "--elmo-weights",
            elmo.resolve("lm_weights.hdf5").toString(),
            "--elmo-heads",
            TestModels.get("test-elmo-heads").toString());
    assertThat(demo.code()).as(demo.err()).isZero();

    List<List<String>> sentencesOfA = new ArrayList<>();
    int sentences = 0;
    for (String line : Files.readAllLines(output)) {
      JsonNode record = JSON.readTree(line);
      if (!record.get("topic").asText().equals("rillet.sentences")) {
        continue;
      }
      sentences++;
      JsonNode value = record.get("value");
      assertThat(value.get("modelIds").toString()).contains("test-elmo-heads@1.0.0");
      if (value.get("streamId").asText().equals("a")) {
        List<String> tokens = new ArrayList<>();
        value.get("tokens").forEach(t -> tokens.add(t.get("token").asText()));
        sentencesOfA.add(tokens);
      }
    }
    assertThat(sentences).isEqualTo(4);
    assertThat(sentencesOfA)
        .containsExactly(
            List.of("I", "loved", "this", "film", "."),
            List.of("The", "acting", "was", "great", "and", "the", "music", "too", "!"));
    assertThat(demo.out())
        .contains("sentence stage: elmo-fixture/lm_weights.hdf5 + test-elmo-heads")
        .containsPattern("a +sentence 1 ");
  }

  @Test
  void badInputLinesFailAtStartupNamingEveryLine(@TempDir Path dir) throws Exception {
    Path input =
        Files.write(
            dir.resolve("bad.jsonl"),
            List.of(
                event("a", 0, "fine", false),
                "{\"streamId\": \"a\", \"seq\": \"one\"}",
                event("a", 1, "fine too", false),
                "[1, 2]"));
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int code =
        RilletTestAccess.run(
            new PrintStream(err, true, StandardCharsets.UTF_8),
            "demo",
            "--input",
            input.toString(),
            "--model",
            TestModels.get("test-gru").toString());
    assertThat(code).isEqualTo(2);
    // Every bad line at once, with its number.
    assertThat(err.toString(StandardCharsets.UTF_8))
        .contains("--input", "2 bad lines", "line 2: field 'seq'", "line 4: expected a JSON object")
        .doesNotContain("line 1:", "line 3:");
  }

  /** {@code rillet demo} on {@code input} with the test GRU, stopping when done. */
  private static CommandOutput runDemo(Path input, Path output, String... more) throws Exception {
    List<String> args =
        new ArrayList<>(
            List.of(
                "demo",
                "--input",
                input.toString(),
                "--sink-jsonl",
                output.toString(),
                "--exit-when-done",
                "--rate",
                "100",
                "--checkpoint-interval",
                "300ms",
                "--model",
                TestModels.get("test-gru").toString()));
    args.addAll(List.of(more));
    return CommandOutput.run(args.toArray(new String[0]));
  }

  private static String event(String stream, long seq, String text, boolean end) throws Exception {
    Map<String, Object> e = new java.util.LinkedHashMap<>();
    e.put("streamId", stream);
    e.put("seq", seq);
    e.put("eventTime", 1_700_000_000_000L + seq * 1000);
    e.put("text", text);
    e.put("endOfStream", end);
    return JSON.writeValueAsString(e);
  }
}
