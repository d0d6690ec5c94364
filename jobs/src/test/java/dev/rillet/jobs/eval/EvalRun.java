package dev.rillet.jobs.eval;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;

/** {@code rillet eval} run in-process as the launcher runs it: exit code, stdout and stderr. */
record EvalRun(int code, String out, String err) {

  static EvalRun of(List<String> args) {
    return of(args.toArray(new String[0]));
  }

  static EvalRun of(String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    PrintStream e = new PrintStream(err, true, StandardCharsets.UTF_8);
    EvalCommand command = new EvalCommand(new PrintStream(out, true, StandardCharsets.UTF_8), e);
    int code;
    try {
      code = command.run(command.commandLine().parse(args));
    } catch (IllegalArgumentException ex) {
      e.println(ex.getMessage());
      code = 2;
    } catch (Exception ex) {
      throw new AssertionError(ex);
    }
    return new EvalRun(
        code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
  }
}
