package dev.rillet.jobs.tools;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rillet.avro.ModelUpdate;
import dev.rillet.avro.ModelUpdatePolicy;
import dev.rillet.avro.ModelUpdateTarget;
import dev.rillet.jobs.RilletTestAccess;
import dev.rillet.kafka.testutils.EmbeddedKafkaExtension;
import dev.rillet.kafka.testutils.KafkaTestClient;
import dev.rillet.testutils.TestElmo;
import dev.rillet.testutils.TestModels;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code rillet model-update}: a sound package becomes one ModelUpdate on the topic; a broken one
 * and an unknown policy are refused before anything is written.
 */
class ModelUpdateCommandTest {
  @RegisterExtension static final EmbeddedKafkaExtension KAFKA = new EmbeddedKafkaExtension();

  @TempDir Path tmp;

  private static String run(int expectedExit, String... args) {
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int rc = RilletTestAccess.run(new PrintStream(err, true, StandardCharsets.UTF_8), args);
    String text = err.toString(StandardCharsets.UTF_8);
    assertThat(rc).as(text).isEqualTo(expectedExit);
    return text;
  }

  @Test
  void writesOneUpdateForASoundPackage() {
    Path lstm = TestModels.get("test-lstm");
    run(
        0,
        "model-update",
        "--model",
        lstm.toString(),
        "--policy",
        "drain",
        "--topic",
        "updates-ok",
        "--bootstrap-servers",
        KAFKA.bootstrapServers());
    List<KafkaTestClient.Received<ModelUpdate>> written =
        KAFKA
            .client()
            .readCommitted("updates-ok", 1, Duration.ofSeconds(30), ModelUpdate.getDecoder());
    assertThat(written).hasSize(1);
    ModelUpdate u = written.get(0).value();
    assertThat(u.getModelId()).isEqualTo("test-lstm@1.0.0");
    assertThat(u.getPolicy()).isEqualTo(ModelUpdatePolicy.DRAIN);
    assertThat(Path.of(u.getPackageDir()))
        .isAbsolute()
        .isEqualTo(lstm.toAbsolutePath().normalize());
    assertThat(u.getUpdateId()).isNotBlank();
  }

  @Test
  void refusesABrokenPackageAndBadPoliciesWithoutWriting() throws Exception {
    Path broken = TestModels.copy(TestModels.get("test-gru"), tmp.resolve("broken"));
    Files.delete(broken.resolve("vocab.txt"));
    String servers = KAFKA.bootstrapServers();
    assertThat(
            run(
                2,
                "model-update",
                "--model",
                broken.toString(),
                "--topic",
                "updates-bad",
                "--bootstrap-servers",
                servers))
        .contains("--model " + broken)
        .contains("vocab");
    assertThat(
            run(
                2,
                "model-update",
                "--model",
                TestModels.get("test-gru").toString(),
                "--policy",
                "sometimes",
                "--topic",
                "updates-bad",
                "--bootstrap-servers",
                servers))
        .contains("expected reset, drain or replay");
    assertThat(run(2, "model-update", "--topic", "updates-bad")).contains("--model is required");
    KAFKA.createTopics(1, "updates-bad");
    assertThat(
            KAFKA
                .client()
                .readCommitted("updates-bad", 0, Duration.ofSeconds(5), ModelUpdate.getDecoder()))
        .isEmpty();
  }

  @Test
  void writesOneElmoUpdateForASoundPairAndRefusesBrokenOnes() throws Exception {
    Path elmoA = TestElmo.write(tmp.resolve("elmo-a"), 1);
    Path elmoB = TestElmo.write(tmp.resolve("elmo-b"), 2);
    Path headsA =
        TestElmo.headsFor(elmoA, TestModels.get("test-elmo-heads"), tmp.resolve("heads-a"));
    String servers = KAFKA.bootstrapServers();
    // Heads trained on biLM a do not fit biLM b: refused before anything is written.
    assertThat(
            run(
                2,
                "model-update",
                "--elmo-heads",
                headsA.toString(),
                "--elmo",
                elmoB.toString(),
                "--topic",
                "elmo-updates",
                "--bootstrap-servers",
                servers))
        .contains("--elmo-heads " + headsA)
        .contains("weights");
    assertThat(
            run(
                2,
                "model-update",
                "--elmo-heads",
                headsA.toString(),
                "--policy",
                "drain",
                "--topic",
                "elmo-updates",
                "--bootstrap-servers",
                servers))
        .contains("always reset");
    assertThat(
            run(
                2,
                "model-update",
                "--model",
                TestModels.get("test-gru").toString(),
                "--elmo-heads",
                headsA.toString(),
                "--topic",
                "elmo-updates"))
        .contains("one at a time");
    assertThat(
            run(
                2,
                "model-update",
                "--elmo-heads",
                tmp.resolve("nowhere").toString(),
                "--topic",
                "elmo-updates"))
        .contains("--elmo-heads " + tmp.resolve("nowhere"));

    run(
        0,
        "model-update",
        "--elmo-heads",
        headsA.toString(),
        "--elmo",
        elmoA.toString(),
        "--topic",
        "elmo-updates",
        "--bootstrap-servers",
        servers);
    List<KafkaTestClient.Received<ModelUpdate>> written =
        KAFKA
            .client()
            .readCommitted("elmo-updates", 1, Duration.ofSeconds(30), ModelUpdate.getDecoder());
    assertThat(written).hasSize(1);
    ModelUpdate u = written.get(0).value();
    assertThat(u.getTarget()).isEqualTo(ModelUpdateTarget.ELMO);
    assertThat(u.getModelId()).isEqualTo("test-elmo-heads@1.0.0");
    assertThat(u.getPolicy()).isEqualTo(ModelUpdatePolicy.RESET);
    assertThat(Path.of(u.getPackageDir())).isEqualTo(headsA.toAbsolutePath().normalize());
    assertThat(Path.of(u.getElmoSource())).isEqualTo(elmoA.toAbsolutePath().normalize());
  }
}
