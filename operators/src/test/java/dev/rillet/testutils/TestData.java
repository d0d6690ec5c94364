package dev.rillet.testutils;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.Assumptions;

/** Locates the shared training/evaluation data from the environment variable RILLET_DATA. */
public final class TestData {
  private TestData() {}

  /** The data root, when RILLET_DATA is set and names a directory. */
  public static Optional<Path> root() {
    String value = System.getenv("RILLET_DATA");
    if (value == null || value.isBlank()) {
      return Optional.empty();
    }
    Path path = Path.of(value);
    return Files.isDirectory(path) ? Optional.of(path) : Optional.empty();
  }

  /** The data root; skips the calling test (JUnit assumption) when it is not available. */
  public static Path require() {
    Optional<Path> root = root();
    Assumptions.assumeTrue(
        root.isPresent(), "set RILLET_DATA=<path to shared/data> to run (e.g. /work/shared/data)");
    return root.get();
  }
}
