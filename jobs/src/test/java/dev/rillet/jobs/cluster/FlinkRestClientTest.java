package dev.rillet.jobs.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.ServerSocket;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FlinkRestClientTest {
  @Test
  void noClusterAtTheAddressIsNamedWithTheFix() throws Exception {
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort(); // closed again: nothing listens there
    }
    FlinkRestClient client = new FlinkRestClient("127.0.0.1:" + port);
    assertThat(client.isUp()).isFalse();
    assertThatThrownBy(client::overview)
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("no Flink cluster answers at http://127.0.0.1:" + port)
        .hasMessageContaining("./rillet cluster start");
  }

  @Test
  void rootCauseIsTheInnermostCausedBy() {
    String trace =
        String.join(
            "\n",
            "org.apache.flink.runtime.client.JobInitializationException: Could not start the"
                + " JobMaster.",
            "\tat org.apache.flink.runtime.jobmaster.DefaultJobMasterServiceProcess.lambda$new$0",
            "Caused by: java.util.concurrent.CompletionException: java.lang.RuntimeException",
            "\tat java.base/java.util.concurrent.CompletableFuture.encodeThrowable",
            "Caused by: java.io.FileNotFoundException: Cannot find checkpoint or savepoint file",
            "\t... 3 more");
    assertThat(FlinkRestClient.rootCause(trace))
        .isEqualTo("java.io.FileNotFoundException: Cannot find checkpoint or savepoint file");
    assertThat(FlinkRestClient.rootCause("just one line")).isEqualTo("just one line");
  }

  @Test
  void aHomeWithoutAClusterHasNothingToReportOrStop(@TempDir Path home) throws Exception {
    LocalCluster cluster = new LocalCluster(home, home.resolve("lib"), home.resolve("config.yaml"));
    assertThat(cluster.members()).isEmpty();
    assertThat(cluster.status()).isEmpty();
    assertThat(cluster.jobManager()).isEmpty();
    assertThat(cluster.stop()).isEmpty();
  }

  @Test
  void startingWithoutTheClusterLibSaysHowToBuildIt(@TempDir Path home) {
    LocalCluster cluster = new LocalCluster(home, home.resolve("lib"), home.resolve("config.yaml"));
    assertThatThrownBy(
            () -> cluster.start(1, 1, LocalCluster.Ports.DEFAULT, java.time.Duration.ofSeconds(1)))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("mvn -pl cluster package");
  }
}
