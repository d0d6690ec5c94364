package dev.rillet.jobs.eval;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.rillet.jobs.RilletTestAccess;
import dev.rillet.jobs.pipeline.SentenceStage;
import dev.rillet.testutils.TestModels;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.configuration.Configuration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code rillet eval} as users run it, on a tiny hand-made data folder (so it runs without
 * RILLET_DATA) with a committed test model: flags, failures, the printed table and the JSON report.
 */
class EvalCommandTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir Path tmp;

  /** A data folder with the ConlluTest snippet as EWT test and three SST-2 test sentences. */
  private Path data() throws Exception {
    Path data = tmp.resolve("data");
    Files.createDirectories(data.resolve("ud-ewt"));
    Files.createDirectories(data.resolve("sst"));
    Files.write(data.resolve("ud-ewt/en_ewt-ud-test.conllu"), ConlluTest.SNIPPET);
    Files.write(
        data.resolve("sst/stsa.binary.test"),
        List.of("0 a dull , lifeless film .", "1 a wonderful movie .", "1 great fun !"));
    return data;
  }

  @Test
  void scoresTheDataThroughThePipelineAndWritesTheReport() throws Exception {
    Path data = data();
    Path report = tmp.resolve("out/report.json");
    String model = TestModels.get("test-gru").toString();
    EvalRun r =
        EvalRun.of("--model", model, "--data", data.toString(), "--report", report.toString());
    assertThat(r.code()).as(r.err()).isZero();
    assertThat(r.out())
        .contains("model    test-gru@1.0.0")
        .contains("command  ./rillet eval --model " + model + " --data " + data)
        .containsPattern("upos +test +20 words ")
        .containsPattern("sst2 +test +3 sentences ")
        .contains("most confused")
        .contains("gold negative");
    // test-gru is not a demo model: no notice.
    assertThat(r.err()).doesNotContain("demo model");

    JsonNode json = JSON.readTree(report.toFile());
    assertThat(json.get("model").get("id").asText()).isEqualTo("test-gru@1.0.0");
    JsonNode upos = json.get("tasks").get("upos");
    assertThat(upos.get("documents").asInt()).isEqualTo(2);
    assertThat(upos.get("sentences").asInt()).isEqualTo(3);
    assertThat(upos.get("words").asInt()).isEqualTo(20);
    // The tokenizer splits like EWT: only ":-)" (written ":)" in the text) cannot align.
    assertThat(upos.get("alignedWords").asInt()).isEqualTo(19);
    assertThat(upos.get("missingSentences").asInt()).isZero();
    assertThat(upos.get("accuracy").asDouble())
        .isCloseTo(upos.get("correctWords").asDouble() / 20, within(1e-12));
    long perTagWords = 0;
    for (JsonNode t : upos.get("perTag")) {
      perTagWords += t.get("words").asLong();
    }
    assertThat(perTagWords).isEqualTo(20);
    JsonNode sst = json.get("tasks").get("sst2");
    assertThat(sst.get("sentences").asInt()).isEqualTo(3);
    assertThat(sst.get("missing").asInt()).isZero();
    ArrayNode neg = (ArrayNode) sst.get("confusion").get("goldNegative");
    ArrayNode pos = (ArrayNode) sst.get("confusion").get("goldPositive");
    assertThat(neg.get(0).asInt() + neg.get(1).asInt()).isEqualTo(1);
    assertThat(pos.get(0).asInt() + pos.get(1).asInt()).isEqualTo(2);
    assertThat(sst.get("correct").asInt()).isEqualTo(neg.get(0).asInt() + pos.get(1).asInt());
    assertThat(json.get("run").get("events").asInt()).isEqualTo(3 + 3);
  }

  @Test
  void modelCardFlagWritesTheFiguresIntoTheCardAndReplacesThemOnTheNextRun() throws Exception {
    Path data = data();
    Path model = TestModels.copy(TestModels.get("test-gru"), tmp.resolve("test-gru"));
    Path card = model.resolve("MODEL.md");
    String recipeText = Files.readString(card);
    Path report = tmp.resolve("report.json");
    String[] args = {
      "--model",
      model.toString(),
      "--data",
      data.toString(),
      "--model-card",
      "--report",
      report.toString()
    };
    EvalRun first = EvalRun.of(args);
    assertThat(first.code()).as(first.err()).isZero();
    assertThat(first.out()).contains("model card updated: " + card);
    String once = Files.readString(card);
    assertThat(once).startsWith(recipeText.stripTrailing());
    JsonNode json = JSON.readTree(report.toFile());
    String accuracy =
        String.format(
            java.util.Locale.ROOT,
            "%.4f",
            json.get("tasks").get("upos").get("accuracy").asDouble());
    assertThat(once)
        .contains("## Evaluation (`./rillet eval`)")
        .contains("`./rillet eval --model " + model)
        .contains("| recurrent `test-gru@1.0.0` | UPOS (UD EWT) | 20 words | " + accuracy + " |")
        .containsPattern(
            "\\| recurrent `test-gru@1.0.0` \\| SST-2 \\| 3 sentences \\| 0\\.\\d{4} \\|")
        .contains("| VERB | 4 |");

    EvalRun second = EvalRun.of(args);
    assertThat(second.code()).as(second.err()).isZero();
    assertThat(Files.readString(card)).as("one section, replaced in place").isEqualTo(once);
  }

  @Test
  void modelCardFlagRefusesPartialOrDevRuns() throws Exception {
    Path data = data();
    Path model = TestModels.copy(TestModels.get("test-gru"), tmp.resolve("test-gru"));
    String before = Files.readString(model.resolve("MODEL.md"));
    for (String[] extra : new String[][] {{"--limit", "1"}, {"--split", "dev"}}) {
      EvalRun r =
          EvalRun.of(
              "--model",
              model.toString(),
              "--data",
              data.toString(),
              "--model-card",
              extra[0],
              extra[1]);
      assertThat(r.code()).isEqualTo(2);
      assertThat(r.err()).contains("--model-card").contains("--split test without --limit");
    }
    assertThat(Files.readString(model.resolve("MODEL.md"))).isEqualTo(before);
  }

  @Test
  void aModelWhoseSentimentLabelsAreNotPolarityFailsForSst2Only() throws Exception {
    Path data = data();
    Path model = TestModels.copy(TestModels.get("test-rnn"), tmp.resolve("calm-rnn"));
    ObjectNode manifest = (ObjectNode) JSON.readTree(model.resolve("manifest.json").toFile());
    ArrayNode labels = manifest.putArray("sentimentLabels");
    labels.add("calm").add("excited");
    JSON.writeValue(model.resolve("manifest.json").toFile(), manifest);

    EvalRun sst =
        EvalRun.of("--model", model.toString(), "--data", data.toString(), "--tasks", "sst2");
    assertThat(sst.code()).isEqualTo(2);
    assertThat(sst.err()).contains("cannot map the model's sentiment labels [calm, excited]");

    EvalRun upos =
        EvalRun.of("--model", model.toString(), "--data", data.toString(), "--tasks", "upos");
    assertThat(upos.code()).as(upos.err()).isZero();
    assertThat(upos.out()).containsPattern("upos +test +20 words").doesNotContain("sst2 ");
  }

  @Test
  void badFlagsExitWith2NamingTheFlag() throws Exception {
    String data = data().toString();
    assertBad("--limit", "many").contains("--limit").contains("integer");
    assertBad("--data", data, "--limit", "-1").contains("--limit must be >= 0");
    assertBad("--data", data, "--tasks", "upos,ner").contains("--tasks: unknown task 'ner'");
    assertBad("--split", "train").contains("--split").contains("test|dev");
    assertBad("--data", tmp.resolve("nowhere").toString()).contains("--data").contains("nowhere");
    assertBad("--data", data, "--split", "dev").contains("en_ewt-ud-dev.conllu not found");
    assertBad("--modle", "x").contains("unknown option --modle").contains("--model");
  }

  private org.assertj.core.api.AbstractStringAssert<?> assertBad(String... args) {
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    String[] full = new String[args.length + 1];
    full[0] = "eval";
    System.arraycopy(args, 0, full, 1, args.length);
    int code = RilletTestAccess.run(new PrintStream(err, true, StandardCharsets.UTF_8), full);
    assertThat(code).as(String.join(" ", args)).isEqualTo(2);
    return assertThat(err.toString(StandardCharsets.UTF_8)).startsWith("rillet eval: ");
  }

  @Test
  void aMissingElmoPathGivenOnTheCommandLineExitsWith2NamingTheFlag() throws Exception {
    String data = data().toString();
    String model = TestModels.get("test-gru").toString();
    Path nowhere = tmp.resolve("nowhere");
    assertBad("--model", model, "--data", data, "--elmo", nowhere.toString())
        .contains("--elmo " + nowhere + ": not found")
        .contains("--elmo none");
    assertBad(
            "--model",
            model,
            "--data",
            data,
            "--elmo-options",
            nowhere.resolve("options.json").toString(),
            "--elmo-weights",
            nowhere.resolve("weights.hdf5").toString())
        .contains("--elmo-options " + nowhere.resolve("options.json") + ": no such file");
    // The biLM files exist (resolving does not read them yet); the heads folder does not.
    Path options = Files.writeString(tmp.resolve("options.json"), "{}");
    Path weights = Files.writeString(tmp.resolve("weights.hdf5"), "");
    assertBad(
            "--model",
            model,
            "--data",
            data,
            "--elmo-options",
            options.toString(),
            "--elmo-weights",
            weights.toString(),
            "--elmo-heads",
            nowhere.toString())
        .contains("--elmo-heads " + nowhere + ": not found");
    assertBad("--model", model, "--data", data, "--elmo", "none", "--tasks", "sst5")
        .contains("--tasks sst5: only the ELMo heads' 5-class head scores SST-5");
  }

  @Test
  void withoutElmoFlagsAndNoDefaultBilmOnlyTheRecurrentModelIsScoredWithANote() throws Exception {
    // An empty model root: the default models/elmo-bilm and models/elmo-heads are not there, as in
    // an installation without them (the repository ships both).
    Path root = Files.createDirectories(tmp.resolve("empty-root"));
    assertThat(SentenceStage.defaultModelsMissing(new Configuration(), root)).isTrue();
    EvalRun r =
        EvalRun.in(
            root,
            "--model",
            TestModels.get("test-gru").toString(),
            "--data",
            data().toString(),
            "--tasks",
            "upos,sst5");
    assertThat(r.code()).as(r.err()).isZero();
    assertThat(r.err())
        .contains(
            "rillet eval: note: sentence stage off: the shipped ELMo models (models/elmo-bilm")
        .contains("note: sst5 is scored by the ELMo heads' 5-class head only");
    assertThat(r.out())
        .containsPattern("recurrent +upos +test +20 words")
        .doesNotContain("elmo-heads")
        .doesNotContain("heads - recurrent");
    // --elmo none is the user's choice: no note about a missing biLM.
    EvalRun off =
        EvalRun.in(
            root,
            "--model",
            TestModels.get("test-gru").toString(),
            "--data",
            data().toString(),
            "--tasks",
            "upos",
            "--elmo",
            "none");
    assertThat(off.code()).as(off.err()).isZero();
    assertThat(off.err()).doesNotContain("note:");
  }

  @Test
  void helpListsEveryOptionWithItsDefault() {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    new EvalCommand().commandLine().printHelp(new PrintStream(bytes, true, StandardCharsets.UTF_8));
    String help = bytes.toString(StandardCharsets.UTF_8);
    for (ConfigOption<?> o : new EvalCommand().options()) {
      assertThat(help).contains("--" + o.key() + " <");
    }
    assertThat(help)
        .contains("Usage: rillet eval")
        .contains("--split <test|dev>")
        .contains("default: upos,sst2,sst5")
        .contains("--elmo-heads <")
        .doesNotContain("--elmo-sentiment")
        .contains("default: ../shared/data");
  }

  @Test
  void theQuotedCommandRepeatsTheGivenFlagsInHelpOrder() {
    Configuration conf =
        new EvalCommand()
            .commandLine()
            .parse(new String[] {"--limit", "5", "--model", "models/my gru", "--split=dev"});
    assertThat(EvalCommand.commandLine(conf))
        .isEqualTo("./rillet eval --model 'models/my gru' --split dev --limit 5");
  }
}
