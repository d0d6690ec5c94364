package dev.rillet.jobs.pipeline;

import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import dev.rillet.jobs.cli.CommandContext;
import dev.rillet.onnx.ModelPackageException;
import dev.rillet.onnx.RecurrentModelPackage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.function.Predicate;

/**
 * Finds a model package named on the command line and checks it before any job starts, so a wrong
 * path or a broken package fails at startup with a message that names the problem and the fix.
 */
public final class ModelLocator {
  private ModelLocator() {}

  /** What the startup check learned about the package. */
  public record CheckedModel(Path dir, String modelId, String cell, String notice) {}

  /** {@link #resolveAndCheck(Path, String)} in the working directory (the cluster job, tests). */
  public static CheckedModel resolveAndCheck(String name) {
    return resolveAndCheck(CommandContext.WORKING_DIRECTORY, name);
  }

  /**
   * Resolves {@code name} against {@code root} (a command's {@link CommandContext#modelRoot()}),
   * then against {@code $RILLET_HOME} (set by the {@code ./rillet} launcher), and loads it once to
   * validate the manifest against the ONNX graph.
   */
  public static CheckedModel resolveAndCheck(Path root, String name) {
    Path dir = resolve(root, name);
    try (OrtSession.SessionOptions options = new OrtSession.SessionOptions();
        RecurrentModelPackage model =
            RecurrentModelPackage.load(dir, OrtEnvironment.getEnvironment(), options)) {
      // The manifest says what the package is for; the card's wording is not a contract.
      String notice =
          model.manifest().isDemo()
              ? model.modelId()
                  + " is a small demo model trained for minutes, not a production model; see "
                  + dir.resolve("MODEL.md")
              : null;
      return new CheckedModel(dir, model.modelId(), model.cell().toString(), notice);
    } catch (ModelPackageException e) {
      throw new IllegalArgumentException("--model " + name + ": " + e.getMessage(), e);
    }
  }

  /**
   * The one lookup rule of every path a user names on the command line (a model package, the ELMo
   * files, the data folder): {@code name} as given when absolute, else under {@code root}, else
   * under {@code $RILLET_HOME}; the first of these that {@code fits}, absolute and normalized.
   */
  public static Optional<Path> locate(Path root, String name, Predicate<Path> fits) {
    Path given = root.resolve(name);
    if (fits.test(given)) {
      return Optional.of(given.toAbsolutePath().normalize());
    }
    String home = System.getenv("RILLET_HOME");
    if (!Path.of(name).isAbsolute() && home != null) {
      Path underHome = Path.of(home).resolve(name);
      if (fits.test(underHome)) {
        return Optional.of(underHome.toAbsolutePath().normalize());
      }
    }
    return Optional.empty();
  }

  /**
   * Where {@link #locate} looked, for messages: "the working directory" for the launcher's root,
   * then {@code $RILLET_HOME} when set.
   */
  public static String lookedIn(Path root) {
    String home = System.getenv("RILLET_HOME");
    return (root.equals(CommandContext.WORKING_DIRECTORY) ? "the working directory" : root)
        + (home == null ? "" : " and in " + home);
  }

  static Path resolve(Path root, String name) {
    Optional<Path> found =
        locate(root, name, dir -> Files.isRegularFile(dir.resolve("manifest.json")));
    if (found.isPresent()) {
      return found.get();
    }
    throw new IllegalArgumentException(
        "--model "
            + name
            + ": no model package there (a folder with manifest.json, model.onnx and vocab.txt)."
            + " Use one of the packages in models/, e.g. --model models/rillet-gru (or the small models/demo-gru), or regenerate"
            + " them with training/ (see training/README.md).");
  }
}
