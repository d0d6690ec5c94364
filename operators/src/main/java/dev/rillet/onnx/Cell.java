package dev.rillet.onnx;

import java.util.Locale;
import org.apache.flink.annotation.PublicEvolving;

/** The recurrent cell of a step model; it fixes how many state tensors the model carries. */
@PublicEvolving
public enum Cell {
  GRU(1),
  LSTM(2),
  RNN(1);

  private final int stateCount;

  Cell(int stateCount) {
    this.stateCount = stateCount;
  }

  /** Number of state tensors [L,B,H]: 2 for an LSTM (h, c), 1 otherwise. */
  public int stateCount() {
    return stateCount;
  }

  /** The manifest spelling: "gru", "lstm" or "rnn". */
  public String manifestName() {
    return name().toLowerCase(Locale.ROOT);
  }

  /** Parses a manifest spelling; null when it is none of "gru", "lstm", "rnn". */
  static Cell fromManifestName(String name) {
    for (Cell c : values()) {
      if (c.manifestName().equals(name)) {
        return c;
      }
    }
    return null;
  }
}
