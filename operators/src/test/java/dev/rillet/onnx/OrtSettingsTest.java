package dev.rillet.onnx;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assumptions.assumeThat;

import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtProvider;
import ai.onnxruntime.OrtSession;
import dev.rillet.elmo.runtime.ElmoHeads;
import dev.rillet.testutils.TestModels;
import org.junit.jupiter.api.Test;

class OrtSettingsTest {
  @Test
  void rejectsFewerThanOneIntraOpThread() {
    assertThatThrownBy(() -> new OrtSettings(0, ExecutionProvider.CPU))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("intraOpThreads must be >= 1, got 0");
  }

  /** The ELMo heads used to pass 0 on to ONNX Runtime (its own default pool); now refused too. */
  @Test
  void elmoHeadsRejectZeroThreadsAsTheOtherModelsDo() {
    assertThatThrownBy(() -> ElmoHeads.load(TestModels.get("test-elmo-heads-plain"), 0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("intraOpThreads");
    assertThatThrownBy(() -> SharedOrt.acquire(TestModels.get("test-gru"), 0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("intraOpThreads");
  }

  @Test
  void cpuIsUsedWhenAskedFor() throws Exception {
    try (OrtSession.SessionOptions options = new OrtSession.SessionOptions()) {
      assertThat(new OrtSettings(1, ExecutionProvider.CPU).configure(options))
          .isEqualTo(ExecutionProvider.CPU);
    }
  }

  /**
   * AUTO never fails: it is CUDA exactly where the probe found a working device, else the CPU; and
   * a session made with it runs the model.
   */
  @Test
  void autoUsesCudaExactlyWhereItWorksAndTheCpuElsewhere() throws Exception {
    boolean cuda = CudaProbe.answer().usable();
    assertThat(new OrtSettings(1, ExecutionProvider.AUTO).resolve())
        .isEqualTo(cuda ? ExecutionProvider.CUDA : ExecutionProvider.CPU);
    try (var lease =
        SharedOrt.acquire(TestModels.get("test-gru"), new OrtSettings(1, ExecutionProvider.AUTO))) {
      assertThat(lease.get().modelId()).isNotEmpty();
    }
  }

  /**
   * Without the CUDA provider in the build (the default artifact), cuda is refused with the fix.
   */
  @Test
  void cudaWithoutTheProviderIsRefusedNamingTheFix() {
    assumeThat(OrtEnvironment.getAvailableProviders()).doesNotContain(OrtProvider.CUDA);
    assertThat(CudaProbe.answer().usable()).isFalse();
    assertThatThrownBy(() -> new OrtSettings(1, ExecutionProvider.CUDA).resolve())
        .isInstanceOf(ExecutionProviderUnavailableException.class)
        .hasMessageContaining("no CUDA provider")
        .hasMessageContaining("-Pgpu")
        .hasMessageContaining("--execution-provider auto");
    assertThatThrownBy(
            () ->
                SharedOrt.acquire(
                    TestModels.get("test-gru"), new OrtSettings(1, ExecutionProvider.CUDA)))
        .isInstanceOf(ExecutionProviderUnavailableException.class)
        .hasMessageContaining("--execution-provider cuda");
    // Away from the model's machines only the build can be checked; that check refuses too.
    assertThatThrownBy(() -> new OrtSettings(1, ExecutionProvider.CUDA).requireProviderInBuild())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("no CUDA provider");
    new OrtSettings(1, ExecutionProvider.AUTO).requireProviderInBuild();
  }

  /**
   * The gpu build (-Pgpu) on a machine without a working CUDA device: auto runs on the CPU (above)
   * and cuda is refused naming the device, never the build. Skipped in the default build.
   */
  @Test
  void cudaInTheBuildWithoutADeviceIsRefusedNamingTheDevice() {
    assumeThat(OrtEnvironment.getAvailableProviders()).contains(OrtProvider.CUDA);
    assumeThat(CudaProbe.answer().usable()).isFalse();
    new OrtSettings(1, ExecutionProvider.CUDA).requireProviderInBuild();
    assertThatThrownBy(() -> new OrtSettings(1, ExecutionProvider.CUDA).resolve())
        .isInstanceOf(ExecutionProviderUnavailableException.class)
        .hasMessageContaining("CUDA device 0 does not answer")
        .hasMessageContaining("--execution-provider auto");
  }
}
