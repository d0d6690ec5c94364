package dev.rillet.jobs.eval;

import dev.rillet.jobs.CommandOutput;
import dev.rillet.jobs.cli.CommandContext;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** {@code rillet eval} run in-process through the launcher: exit code, stdout and stderr. */
record EvalRun(int code, String out, String err) {

  static EvalRun of(List<String> args) {
    return of(args.toArray(new String[0]));
  }

  static EvalRun of(String... args) {
    return in(CommandContext.WORKING_DIRECTORY, args);
  }

  /**
   * As {@link #of(String...)}, relative model paths (the default ELMo models) under {@code root}.
   */
  static EvalRun in(Path root, String... args) {
    List<String> full = new ArrayList<>(List.of("eval"));
    full.addAll(List.of(args));
    CommandOutput r = CommandOutput.run(root, full.toArray(new String[0]));
    return new EvalRun(r.code(), r.out(), r.err());
  }
}
