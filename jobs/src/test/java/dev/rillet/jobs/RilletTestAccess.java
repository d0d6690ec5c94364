package dev.rillet.jobs;

import java.io.OutputStream;
import java.io.PrintStream;

/** Runs the launcher in-process for tests in other packages. */
public final class RilletTestAccess {
  private RilletTestAccess() {}

  public static int run(String... args) {
    return Rillet.run(args, System.out, System.err);
  }

  public static int run(PrintStream err, String... args) {
    return Rillet.run(args, new PrintStream(OutputStream.nullOutputStream()), err);
  }
}
