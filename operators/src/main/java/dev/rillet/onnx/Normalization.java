package dev.rillet.onnx;

import org.apache.flink.annotation.PublicEvolving;

/**
 * A token normalization step named in a package's manifest ({@code vocabulary.normalization}).
 * Steps are applied in the order {@link #LOWERCASE}, then {@link #DIGITS}, whatever order the
 * manifest lists them in (lower-casing never creates digits, so the order does not matter).
 */
@PublicEvolving
public enum Normalization {
  /** {@code String.toLowerCase(Locale.ROOT)}, the same as Python's {@code str.lower()}. */
  LOWERCASE("lowercase"),
  /** Every Unicode decimal digit (category Nd, {@link Character#isDigit(int)}) becomes '0'. */
  DIGITS("digits");

  private final String manifestName;

  Normalization(String manifestName) {
    this.manifestName = manifestName;
  }

  public String manifestName() {
    return manifestName;
  }

  static Normalization fromManifestName(String name) {
    for (Normalization n : values()) {
      if (n.manifestName.equals(name)) {
        return n;
      }
    }
    return null;
  }
}
