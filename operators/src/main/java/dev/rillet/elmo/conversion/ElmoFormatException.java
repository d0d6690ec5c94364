package dev.rillet.elmo.conversion;

import org.apache.flink.annotation.PublicEvolving;

/**
 * A malformed or mismatched ELMo file ({@code options.json}, {@code weights.hdf5} or a converted
 * ONNX model). The message names the file, the field or dataset, what was expected and what was
 * found. It is an {@link IllegalArgumentException}: the input given by the user is wrong.
 */
@PublicEvolving
public final class ElmoFormatException extends IllegalArgumentException {
  private static final long serialVersionUID = 1L;

  public ElmoFormatException(String message) {
    super(message);
  }

  public ElmoFormatException(String message, Throwable cause) {
    super(message, cause);
  }
}
