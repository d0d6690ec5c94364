package dev.rillet.onnx;

/**
 * {@code --execution-provider cuda} was asked for where CUDA cannot be used: the build has no CUDA
 * provider, or no CUDA device answers. The message says which and what to do; retrying does not
 * help, so operators fail without restarts.
 */
public final class ExecutionProviderUnavailableException extends IllegalStateException {
  private static final long serialVersionUID = 1L;

  ExecutionProviderUnavailableException(String message) {
    super(message);
  }
}
