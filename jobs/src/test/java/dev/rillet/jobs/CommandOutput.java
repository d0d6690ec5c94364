package dev.rillet.jobs;

import dev.rillet.jobs.cli.CommandContext;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/**
 * A command run in-process through the launcher ({@link RilletTestAccess}) with its standard output
 * and error captured: its exit code and what it printed to each.
 */
public record CommandOutput(int code, String out, String err) {
  /** Runs {@code args}, looking models up in the working directory as {@code ./rillet} does. */
  public static CommandOutput run(String... args) {
    return run(CommandContext.WORKING_DIRECTORY, args);
  }

  /** Runs {@code args}, relative model paths (the defaults included) looked up in {@code root}. */
  public static CommandOutput run(Path modelRoot, String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    CommandContext context =
        new CommandContext(
            new PrintStream(out, true, StandardCharsets.UTF_8),
            new PrintStream(err, true, StandardCharsets.UTF_8),
            modelRoot);
    int code = RilletTestAccess.run(context, args);
    return new CommandOutput(
        code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
  }
}
