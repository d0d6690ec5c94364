package dev.rillet.bundle;

import dev.rillet.onnx.ExecutionProvider;
import java.io.Serializable;
import java.util.List;
import org.apache.flink.annotation.PublicEvolving;

/**
 * One batching limit of a bundled operator (streams per call, padded tokens per call, tokens per
 * bundle): either a default with one value for the CPU and one for CUDA, or a value the user set,
 * which holds on both. A larger batch pays on a GPU, where a call costs little more for more rows,
 * while on the CPU it only adds latency; so the value is picked where the model runs, in the
 * operator's {@code open()}, from the provider {@link dev.rillet.onnx.OrtSettings#resolve()} found
 * there, and not on the client, which may have no GPU.
 *
 * <p>Any int is accepted here; the builders check the values with {@link #check} so that a bad one
 * is reported with the other settings' problems. Immutable; travels in the operator's serialized
 * configuration (it is not state).
 */
@PublicEvolving
public final class BatchLimit implements Serializable {
  private static final long serialVersionUID = 1L;

  private final int cpu;
  private final int cuda;
  private final boolean set;

  private BatchLimit(int cpu, int cuda, boolean set) {
    this.cpu = cpu;
    this.cuda = cuda;
    this.set = set;
  }

  /** A default: {@code cpu} where the model runs on the CPU, {@code cuda} where on CUDA. */
  public static BatchLimit byProvider(int cpu, int cuda) {
    return new BatchLimit(cpu, cuda, false);
  }

  /** A value the user set: {@code value} on every provider. */
  public static BatchLimit set(int value) {
    return new BatchLimit(value, value, true);
  }

  /**
   * The limit where the model runs on {@code used}.
   *
   * @param used the provider actually in use: {@link ExecutionProvider#CPU} or {@link
   *     ExecutionProvider#CUDA}, as {@link dev.rillet.onnx.OrtSettings#resolve()} returns it
   * @throws IllegalArgumentException for {@link ExecutionProvider#AUTO}, which is a choice, not a
   *     provider in use
   */
  public int on(ExecutionProvider used) {
    return switch (used) {
      case CPU -> cpu;
      case CUDA -> cuda;
      case AUTO ->
          throw new IllegalArgumentException(
              "a limit is picked for the provider in use (cpu or cuda), not for auto");
    };
  }

  /**
   * Why {@link #on}{@code (used)} is what it is, for the operator's log line: e.g. {@code 256 (cuda
   * default)} or {@code 100 (set)}.
   */
  public String explain(ExecutionProvider used) {
    return on(used) + (set ? " (set)" : " (" + used.label() + " default)");
  }

  /**
   * Adds to {@code problems} what is wrong with {@code limit} as the builder setting {@code name},
   * if anything: it must not be null, and every value it can take, on either provider, must be at
   * least 1. A default is checked on both providers, so that a job checked on a client without a
   * GPU does not fail where the model runs on one.
   */
  public static void check(String name, BatchLimit limit, List<String> problems) {
    if (limit == null) {
      problems.add(name + " is null: set a number, or leave the default");
    } else if (limit.set && limit.cpu < 1) {
      problems.add(name + " must be >= 1, got " + limit.cpu);
    } else if (!limit.set && (limit.cpu < 1 || limit.cuda < 1)) {
      problems.add(name + " must be >= 1 on both providers, got " + limit);
    }
  }

  /** {@code 64 on CPU, 256 on CUDA} for a default, the value for a set one: what --help says. */
  @Override
  public String toString() {
    return set ? Integer.toString(cpu) : cpu + " on CPU, " + cuda + " on CUDA";
  }
}
