package dev.rillet.testutils;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

/** Locates the committed model packages in the repository's {@code models/} folder. */
public final class TestModels {
  private TestModels() {}

  /** The repository's models/ folder: {@code $RILLET_MODELS} (set by surefire), else ../models. */
  public static Path root() {
    String env = System.getenv("RILLET_MODELS");
    Path root = env != null ? Path.of(env) : Path.of("..", "models");
    if (!Files.isDirectory(root)) {
      throw new IllegalStateException(
          "model packages not found at "
              + root.toAbsolutePath()
              + ": set RILLET_MODELS to the"
              + " repository's models/ folder");
    }
    return root;
  }

  /** A committed package, e.g. {@code test-gru}. */
  public static Path get(String name) {
    Path dir = root().resolve(name);
    if (!Files.isRegularFile(dir.resolve("manifest.json"))) {
      throw new IllegalStateException(
          "no model package "
              + dir.toAbsolutePath()
              + ": run python3 training/make_test_models.py");
    }
    return dir;
  }

  /** Copies a package folder (flat) into {@code target}, e.g. to break its manifest in a test. */
  public static Path copy(Path source, Path target) throws IOException {
    Files.createDirectories(target);
    try (Stream<Path> files = Files.list(source)) {
      for (Path f : (Iterable<Path>) files::iterator) {
        Files.copy(f, target.resolve(f.getFileName()));
      }
    }
    return target;
  }
}
