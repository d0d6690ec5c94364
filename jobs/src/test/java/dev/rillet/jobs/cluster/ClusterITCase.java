package dev.rillet.jobs.cluster;

import static dev.rillet.jobs.cluster.ClusterScenario.TIMEOUT;
import static dev.rillet.jobs.cluster.ClusterScenario.report;
import static dev.rillet.jobs.cluster.ClusterScenario.send;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.rillet.avro.TextEvent;
import dev.rillet.jobs.backfill.BackfillCommand;
import dev.rillet.jobs.cli.CommandContext;
import dev.rillet.jobs.cluster.ClusterScenario.Outputs;
import dev.rillet.jobs.pipeline.BackfillOptions;
import dev.rillet.jobs.pipeline.PipelineOptions;
import dev.rillet.jobs.pipeline.StateOptions;
import dev.rillet.kafka.testutils.EmbeddedKafkaExtension;
import dev.rillet.kafka.testutils.KafkaTestClient;
import dev.rillet.testutils.TestModels;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.function.Predicate;
import org.apache.flink.configuration.Configuration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The live job on a real Flink cluster: a JobManager and two TaskManager processes started by
 * {@link LocalCluster} from the cluster lib and config.yaml, the job jar submitted over REST at
 * parallelism 2, reading and writing a real broker. The input (30 streams, three phases) is run
 * once on a MiniCluster as the reference; the cluster run takes phase A, has the TaskManager that
 * runs its tasks killed with SIGKILL while phase B is read, is stopped with a savepoint, gets phase
 * C while stopped, and is resubmitted from the savepoint. Every output topic, read under
 * read_committed, must then equal the reference: nothing lost, nothing twice, per-stream order,
 * positions, hidden state and open sentences carried across both interruptions. Then the same input
 * is replayed by a backfill submitted to the cluster, and its outputs must equal the reference as
 * well. Last, the savepoint resubmitted with another model is refused.
 */
class ClusterITCase {
  private static final String LABEL = "ClusterITCase";

  @RegisterExtension static final EmbeddedKafkaExtension KAFKA = new EmbeddedKafkaExtension();

  @TempDir static Path tmp;

  private static LocalCluster cluster;
  private static FlinkRestClient rest;

  @BeforeAll
  static void startCluster() throws Exception {
    cluster = ClusterCommand.local(tmp.resolve("cluster"));
    long start = System.nanoTime();
    cluster.start(
        2,
        2,
        new LocalCluster.Ports(ClusterScenario.freePort(), ClusterScenario.freePort()),
        TIMEOUT);
    report(
        LABEL,
        "cluster start to ready (JobManager + 2 TaskManagers)",
        (System.nanoTime() - start) / 1_000_000);
    rest = new FlinkRestClient(cluster.restAddress().orElseThrow());
  }

  @AfterAll
  static void stopCluster() throws Exception {
    if (cluster != null) {
      try {
        ClusterScenario.printCommitProblems(LABEL, cluster);
      } finally {
        assertThat(cluster.stop()).hasSize(3); // one TaskManager was killed, its replacement too
      }
    }
  }

  @Test
  void outputsEqualAFailureFreeRunAcrossATaskManagerKillAndASavepointRestart() throws Exception {
    List<List<TextEvent>> phases = ClusterScenario.input();
    KafkaTestClient client = KAFKA.client();
    Outputs want = ClusterScenario.reference(KAFKA, "ref", phases);

    // Submissions the cluster cannot take fail with the problem and the fix.
    Configuration live = ClusterScenario.conf(KAFKA, "c");
    live.set(ClusterOptions.JOBMANAGER, rest.address());
    Configuration tooWide = new Configuration(live);
    tooWide.set(PipelineOptions.PARALLELISM, 9);
    assertThatThrownBy(() -> ClusterScenario.submit(tooWide))
        .hasMessageContaining("--parallelism 9 needs 9 free task slots")
        .hasMessageContaining("has 4 free of 4 (2 TaskManagers)");
    Configuration noSavepoint = new Configuration(live);
    noSavepoint.set(StateOptions.FROM_SAVEPOINT, tmp.resolve("no-savepoint").toString());
    assertThatThrownBy(() -> ClusterScenario.submit(noSavepoint))
        .hasMessageContaining("--from-savepoint must name a savepoint or retained checkpoint");
    assertThat(rest.activeJobs()).isEmpty();

    // The cluster run, phase A.
    ClusterScenario.sendBadRecord(client, "c.text");
    send(client, "c.text", phases.get(0));
    ClusterSubmission.Submitted job = ClusterScenario.submit(live);
    report(LABEL, "submission to all tasks RUNNING", job.submitToRunningMillis());
    want.awaitTags(client, "c", 0);

    // Phase B, and the TaskManager running the job's tasks killed while it reads it.
    send(client, "c.text", phases.get(1));
    long killed = System.nanoTime();
    LocalCluster.kill(ClusterScenario.busyTaskManager(rest, cluster));
    ClusterScenario.awaitRecovered(rest, job.jobId(), 1);
    report(
        LABEL,
        "recovery after kill -9 of a TaskManager, to all tasks RUNNING",
        (System.nanoTime() - killed) / 1_000_000);
    want.awaitTags(client, "c", 1);
    // A replacement, so the cluster has slots to spare again.
    cluster.start(1, 2, LocalCluster.Ports.DEFAULT, TIMEOUT);

    // Stop with a savepoint; phase C arrives while the job is down; resume from the savepoint.
    String savepoint = rest.stopWithSavepoint(job.jobId(), null, TIMEOUT);
    assertThat(Path.of(URI.create(savepoint)).resolve("_metadata")).exists();
    send(client, "c.text", phases.get(2));
    live.set(StateOptions.FROM_SAVEPOINT, savepoint);
    ClusterSubmission.Submitted resumed = ClusterScenario.submit(live);
    report(
        LABEL,
        "resubmission from the savepoint to all tasks RUNNING",
        resumed.submitToRunningMillis());

    Outputs got = Outputs.read(client, "c", "", want);
    assertMetricsServed();
    ClusterScenario.assertEqual(LABEL, want, got);
    assertThat(got.dead().get(0).getSourceOffset()).isEqualTo(want.dead().get(0).getSourceOffset());

    // The same input replayed by `./rillet backfill --jobmanager` (batch, on the cluster's two
    // free slots): its outputs, in the backfill topics, equal the reference too.
    Configuration backfill = new Configuration(live);
    backfill.removeConfig(StateOptions.FROM_SAVEPOINT);
    // The range is in event time, which the inputs' Kafka timestamps (their send time) all pass.
    backfill.set(BackfillOptions.FROM, Long.toString(ClusterScenario.FIRST_EVENT_TIME));
    backfill.set(BackfillOptions.TO, Long.toString(System.currentTimeMillis()));
    backfill.set(BackfillOptions.WARMUP, Duration.ZERO);
    backfill.set(BackfillOptions.RUN_ID, "it" + System.nanoTime());
    assertThat(new BackfillCommand().run(CommandContext.of(System.out, System.err), backfill))
        .isZero();
    ClusterScenario.assertEqual(
        LABEL + " backfill", want, Outputs.read(client, "c", ".backfill", want));

    // The savepoint resubmitted with another model is refused, naming both models and the fix.
    Configuration otherModel = new Configuration(live);
    otherModel.set(PipelineOptions.MODEL, TestModels.get("test-lstm").toString());
    assertThatThrownBy(() -> ClusterScenario.submit(otherModel))
        .hasMessageContaining("written by model test-gru@")
        .hasMessageContaining("this job runs model test-lstm@")
        .hasMessageContaining("no --from-savepoint");
    rest.cancel(resumed.jobId());
  }

  /** The TaskManagers' Prometheus endpoints serve the operators' metrics, with values. */
  private static void assertMetricsServed() throws Exception {
    StringBuilder all = new StringBuilder();
    HttpClient http = HttpClient.newHttpClient();
    for (LocalCluster.Member m : cluster.members()) {
      if (m.role().equals("taskmanager") && m.alive(cluster.home())) {
        int port = LocalCluster.metricsPort(m).orElseThrow();
        all.append(
            http.send(
                    HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/metrics"))
                        .build(),
                    HttpResponse.BodyHandlers.ofString())
                .body());
      }
    }
    for (String metric : List.of("tokensProcessed", "sentences", "sentencesAnalyzed")) {
      Predicate<String> positive =
          l ->
              l.contains("_" + metric + "{")
                  && Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1)) > 0;
      assertThat(all.toString().lines().filter(positive)).as(metric).isNotEmpty();
    }
  }
}
