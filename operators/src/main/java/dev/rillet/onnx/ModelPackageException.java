package dev.rillet.onnx;

import org.apache.flink.annotation.PublicEvolving;

/**
 * A model package cannot be used: its manifest is missing or invalid, a file is missing, or the
 * manifest does not match the ONNX graph. The message names the file, the mismatch and the fix.
 */
@PublicEvolving
public class ModelPackageException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public ModelPackageException(String message) {
    super(message);
  }

  public ModelPackageException(String message, Throwable cause) {
    super(message, cause);
  }
}
