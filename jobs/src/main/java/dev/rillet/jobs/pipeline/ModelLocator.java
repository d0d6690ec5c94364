package dev.rillet.jobs.pipeline;

import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import dev.rillet.onnx.ModelPackageException;
import dev.rillet.onnx.RecurrentModelPackage;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Finds a model package named on the command line and checks it before any job starts, so a wrong
 * path or a broken package fails at startup with a message that names the problem and the fix.
 */
public final class ModelLocator {
  private ModelLocator() {}

  /** What the startup check learned about the package. */
  public record CheckedModel(Path dir, String modelId, String cell, String notice) {}

  /**
   * Resolves {@code name} against the working directory, then against {@code $RILLET_HOME} (set by
   * the {@code ./rillet} launcher), and loads it once to validate the manifest against the ONNX
   * graph.
   */
  public static CheckedModel resolveAndCheck(String name) {
    Path dir = resolve(name);
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

  static Path resolve(String name) {
    Path given = Path.of(name);
    if (Files.isRegularFile(given.resolve("manifest.json"))) {
      return given.toAbsolutePath().normalize();
    }
    String home = System.getenv("RILLET_HOME");
    if (!given.isAbsolute() && home != null) {
      Path underHome = Path.of(home).resolve(name);
      if (Files.isRegularFile(underHome.resolve("manifest.json"))) {
        return underHome.toAbsolutePath().normalize();
      }
    }
    throw new IllegalArgumentException(
        "--model "
            + name
            + ": no model package there (a folder with manifest.json, model.onnx and vocab.txt)."
            + " Use one of the packages in models/, e.g. --model models/rillet-gru (or the small models/demo-gru), or regenerate"
            + " them with training/ (see training/README.md).");
  }
}
