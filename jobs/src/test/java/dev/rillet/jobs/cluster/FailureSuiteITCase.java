package dev.rillet.jobs.cluster;

import static dev.rillet.jobs.cluster.ClusterScenario.TIMEOUT;
import static dev.rillet.jobs.cluster.ClusterScenario.send;
import static org.assertj.core.api.Assertions.assertThat;

import dev.rillet.avro.TextEvent;
import dev.rillet.jobs.cluster.ClusterScenario.Outputs;
import dev.rillet.jobs.pipeline.PipelineOptions;
import dev.rillet.jobs.pipeline.StateOptions;
import dev.rillet.kafka.testutils.EmbeddedKafkaExtension;
import dev.rillet.kafka.testutils.KafkaTestClient;
import java.nio.file.Path;
import java.util.List;
import org.apache.flink.configuration.Configuration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Failure injection on a real cluster (one {@link LocalCluster} for every scenario): each scenario
 * runs the live job over the same input as one failure-free reference run and compares all output
 * topics under read_committed, printing per topic the records compared, lost, duplicated and
 * differing (probabilities within 1e-5).
 */
class FailureSuiteITCase {
  @RegisterExtension
  static final EmbeddedKafkaExtension KAFKA = EmbeddedKafkaExtension.restartable();

  @TempDir static Path tmp;

  private static LocalCluster cluster;
  private static FlinkRestClient rest;
  private static List<List<TextEvent>> phases;
  private static Outputs want;

  @BeforeAll
  static void startClusterAndRunTheReference() throws Exception {
    cluster = ClusterCommand.local(tmp.resolve("cluster"));
    cluster.start(
        2,
        2,
        new LocalCluster.Ports(ClusterScenario.freePort(), ClusterScenario.freePort()),
        TIMEOUT);
    rest = new FlinkRestClient(cluster.restAddress().orElseThrow());
    phases = ClusterScenario.input();
    want = ClusterScenario.reference(KAFKA, "ref", phases);
  }

  @AfterAll
  static void stopCluster() throws Exception {
    if (cluster != null) {
      try {
        ClusterScenario.printCommitProblems("FailureSuiteITCase", cluster);
      } finally {
        cluster.stop();
      }
    }
  }

  /** kill -9 of the TaskManager running the job, twice, each time with a replacement started. */
  @Test
  void twoTaskManagerKillsWithReplacements() throws Exception {
    KafkaTestClient client = KAFKA.client();
    Configuration live = live("kill");
    ClusterScenario.sendBadRecord(client, "kill.text");
    send(client, "kill.text", phases.get(0));
    String job = ClusterScenario.submit(live).jobId();
    want.awaitTags(client, "kill", 0);
    for (int kill = 1; kill <= 2; kill++) {
      send(client, "kill.text", phases.get(kill));
      LocalCluster.kill(ClusterScenario.busyTaskManager(rest, cluster));
      cluster.start(1, 2, LocalCluster.Ports.DEFAULT, TIMEOUT);
      ClusterScenario.awaitRecovered(rest, job, kill);
    }
    ClusterScenario.assertEqual(
        "FailureSuiteITCase two TaskManager kills", want, Outputs.read(client, "kill", "", want));
    rest.cancel(job);
  }

  /**
   * The Kafka broker stopped and started again on its data while the job runs, between two phases
   * of input: the job's sources and sinks fail, it recovers from its last checkpoint, and the
   * outputs equal the reference.
   */
  @Test
  void brokerRestartMidStream() throws Exception {
    KafkaTestClient client = KAFKA.client();
    Configuration live = live("broker");
    ClusterScenario.sendBadRecord(client, "broker.text");
    send(client, "broker.text", phases.get(0));
    String job = ClusterScenario.submit(live).jobId();
    want.awaitTags(client, "broker", 0);
    send(client, "broker.text", phases.get(1));
    long restart = System.nanoTime();
    KAFKA.restart();
    ClusterScenario.report(
        "FailureSuiteITCase",
        "broker restart (stop to accepting clients)",
        (System.nanoTime() - restart) / 1_000_000);
    send(client, "broker.text", phases.get(2));
    ClusterScenario.assertEqual(
        "FailureSuiteITCase broker restart", want, Outputs.read(client, "broker", "", want));
    rest.cancel(job);
  }

  /**
   * Stop with a savepoint and resubmit at parallelism 1, then 2, then 1 again: every stream keeps
   * its hidden state, positions and open sentence whichever subtask its key lands on.
   */
  @Test
  void rescaleOneTwoOneThroughSavepoints() throws Exception {
    KafkaTestClient client = KAFKA.client();
    Configuration live = live("rescale");
    ClusterScenario.sendBadRecord(client, "rescale.text");
    int[] parallelism = {1, 2, 1};
    String job = null;
    for (int phase = 0; phase < 3; phase++) {
      if (job != null) {
        live.set(StateOptions.FROM_SAVEPOINT, rest.stopWithSavepoint(job, null, TIMEOUT));
      }
      // The phase's input arrives while the job is stopped: it reads it after the restore.
      send(client, "rescale.text", phases.get(phase));
      live.set(PipelineOptions.PARALLELISM, parallelism[phase]);
      job = ClusterScenario.submit(live).jobId();
      want.awaitTags(client, "rescale", phase);
    }
    ClusterScenario.assertEqual(
        "FailureSuiteITCase rescale 1-2-1", want, Outputs.read(client, "rescale", "", want));
    rest.cancel(job);
  }

  private static Configuration live(String prefix) {
    Configuration live = ClusterScenario.conf(KAFKA, prefix);
    live.set(ClusterOptions.JOBMANAGER, rest.address());
    assertThat(rest.overview().slotsAvailable()).isGreaterThanOrEqualTo(2);
    return live;
  }
}
