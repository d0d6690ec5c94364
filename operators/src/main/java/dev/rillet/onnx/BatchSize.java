package dev.rillet.onnx;

import java.io.Serializable;
import org.apache.flink.annotation.PublicEvolving;

/**
 * A batch limit that depends on where ONNX Runtime runs the model, decided where the model runs
 * (the TaskManager), once {@link OrtSettings#resolve} knows the provider: one value for the CPU,
 * one for CUDA. A GPU spends about as long on a call of many rows as on a call of few, so larger
 * batches pay there, while on the CPU a call's time grows with its rows and a smaller batch keeps
 * each call, and the latency of the tokens behind it, short.
 *
 * @param cpu the limit on the CPU, at least 1
 * @param cuda the limit on CUDA, at least 1
 */
@PublicEvolving
public record BatchSize(int cpu, int cuda) implements Serializable {
  /**
   * @throws IllegalArgumentException when a limit is below 1
   */
  public BatchSize {
    if (cpu < 1 || cuda < 1) {
      throw new IllegalArgumentException(
          "batch limits must be >= 1, got cpu " + cpu + ", cuda " + cuda);
    }
  }

  /** The same limit wherever the model runs: what a user who sets the limit asks for. */
  public static BatchSize fixed(int n) {
    return new BatchSize(n, n);
  }

  /**
   * The limit for sessions on {@code used}: {@link ExecutionProvider#CPU} or {@link
   * ExecutionProvider#CUDA}, as {@link OrtSettings#resolve} returns it.
   */
  public int on(ExecutionProvider used) {
    return used == ExecutionProvider.CUDA ? cuda : cpu;
  }

  @Override
  public String toString() {
    return cpu == cuda ? Integer.toString(cpu) : cpu + " on the CPU, " + cuda + " on CUDA";
  }
}
