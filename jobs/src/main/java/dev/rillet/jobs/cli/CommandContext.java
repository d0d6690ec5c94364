package dev.rillet.jobs.cli;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.Objects;

/**
 * What a command runs against besides its options: where it prints and where it looks up the models
 * named by relative paths. The launcher's {@code main} builds the one for a user's shell ({@link
 * #of}); tests build their own, so that no test swaps {@code System.out} and one can point the
 * model lookup at an empty folder.
 *
 * <p>Commands print only to {@link #out} (results, the lines a user reads or pipes on) and {@link
 * #err} (notes, warnings and progress); log4j logging is separate and stays as it is.
 *
 * @param out where results go ({@code System.out} for the launcher)
 * @param err where notes and errors go ({@code System.err} for the launcher)
 * @param modelRoot the folder against which a command resolves the relative paths it looks up
 *     itself ({@code --model}; eval's ELMo models, their defaults {@code models/...} included, and
 *     its data; model-update's packages), before {@code $RILLET_HOME}: the working directory for
 *     the launcher. The jobs a command starts ({@code pipeline.LiveJob}, {@code
 *     pipeline.BackfillJob}) resolve their sentence stage in the working directory, as the cluster
 *     job does; for the launcher that is the same folder.
 */
public record CommandContext(PrintStream out, PrintStream err, Path modelRoot) {
  /** The working directory, as a path that resolves relative names as the JVM always did. */
  public static final Path WORKING_DIRECTORY = Path.of("");

  public CommandContext {
    Objects.requireNonNull(out, "out");
    Objects.requireNonNull(err, "err");
    Objects.requireNonNull(modelRoot, "modelRoot");
  }

  /** A context printing to the given streams that resolves models in the working directory. */
  public static CommandContext of(PrintStream out, PrintStream err) {
    return new CommandContext(out, err, WORKING_DIRECTORY);
  }
}
