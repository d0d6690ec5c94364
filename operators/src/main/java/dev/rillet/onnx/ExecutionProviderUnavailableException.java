package dev.rillet.onnx;

import org.apache.flink.annotation.PublicEvolving;

/**
 * {@code --execution-provider cuda} was asked for where CUDA cannot be used: the build has no CUDA
 * provider, or no CUDA device answers. The message says which and what to do; retrying does not
 * help, so operators fail without restarts.
 */
@PublicEvolving
public final class ExecutionProviderUnavailableException extends IllegalStateException {
  private static final long serialVersionUID = 1L;

  ExecutionProviderUnavailableException(String message) {
    super(message);
  }
}
