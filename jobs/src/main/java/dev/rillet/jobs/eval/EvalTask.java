package dev.rillet.jobs.eval;

import java.util.EnumSet;
import java.util.Locale;
import java.util.Set;

/** The tasks {@code rillet eval} scores. */
public enum EvalTask {
  /** UPOS tagging on UD English EWT, per gold syntactic word. */
  UPOS,
  /**
   * Binary sentence sentiment on SST-2: the recurrent model's sentiment after the sentence's last
   * token, and the ELMo heads' sentence sentiment.
   */
  SST2,
  /** Five-class sentence sentiment on SST-5; only the ELMo heads' 5-class head scores it. */
  SST5;

  /** The name on the command line and in reports. */
  @Override
  public String toString() {
    return name().toLowerCase(Locale.ROOT);
  }

  /**
   * Parses a comma-separated list such as {@code upos,sst2,sst5}.
   *
   * @throws IllegalArgumentException naming {@code --tasks} and the valid names
   */
  public static Set<EvalTask> parseList(String list) {
    Set<EvalTask> tasks = EnumSet.noneOf(EvalTask.class);
    for (String part : list.split(",")) {
      String name = part.strip();
      if (name.isEmpty()) {
        continue;
      }
      EvalTask task = null;
      for (EvalTask t : values()) {
        if (t.toString().equalsIgnoreCase(name)) {
          task = t;
        }
      }
      if (task == null) {
        throw new IllegalArgumentException(
            "--tasks: unknown task '"
                + name
                + "'; valid tasks: upos, sst2, sst5 (comma-separated)");
      }
      tasks.add(task);
    }
    if (tasks.isEmpty()) {
      throw new IllegalArgumentException("--tasks: name at least one task: upos, sst2, sst5");
    }
    return tasks;
  }
}
