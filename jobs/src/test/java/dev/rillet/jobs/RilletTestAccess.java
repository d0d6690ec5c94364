package dev.rillet.jobs;

import dev.rillet.jobs.cli.CommandContext;
import java.io.OutputStream;
import java.io.PrintStream;

/**
 * Runs the launcher in-process for tests in other packages, as {@code main} does but with the
 * test's own {@link CommandContext}: no test swaps {@code System.out} to see what a command prints.
 */
public final class RilletTestAccess {
  private RilletTestAccess() {}

  /** Runs {@code args} printing to this JVM's console (what the test shows in its log). */
  public static int run(String... args) {
    return run(CommandContext.of(System.out, System.err), args);
  }

  /** Runs {@code args} with standard output dropped and standard error to {@code err}. */
  public static int run(PrintStream err, String... args) {
    return run(CommandContext.of(new PrintStream(OutputStream.nullOutputStream()), err), args);
  }

  /** Runs {@code args} with the given streams and model root; returns the exit code. */
  public static int run(CommandContext context, String... args) {
    return Rillet.run(args, context);
  }
}
