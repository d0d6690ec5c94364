package dev.rillet.testutils;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.rillet.onnx.ExecutionProvider;
import dev.rillet.onnx.OrtSettings;

/** For tests that need a CUDA device: they run only where ONNX Runtime can use one. */
public final class Cuda {
  private Cuda() {}

  /**
   * Skips the calling test (or, from a {@code @BeforeAll}, its class) unless {@code auto} resolves
   * to CUDA here: the {@code -Pgpu} build on a machine with a device.
   */
  public static void assumeUsable() {
    assumeTrue(
        OrtSettings.of(1).resolve() == ExecutionProvider.CUDA,
        "skipped: CUDA is not usable here (the log line 'ONNX Runtime execution provider' says"
            + " why); run it on a GPU machine with the -Pgpu build");
  }
}
