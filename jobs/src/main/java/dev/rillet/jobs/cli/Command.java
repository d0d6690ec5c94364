package dev.rillet.jobs.cli;

import java.util.List;
import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.configuration.Configuration;

/**
 * One subcommand of the launcher ({@code rillet <name> [options]}). A command is stateless between
 * runs: what it prints to and where it finds models come with each run in a {@link CommandContext},
 * so that the launcher's {@code main} is the only place that touches {@code System.out} and {@code
 * System.err}.
 */
public interface Command {
  String name();

  String summary();

  /** Every option the command takes, in the order {@code --help} lists them. */
  List<ConfigOption<?>> options();

  /** Parses and documents {@link #options()} under the command's name and summary. */
  default CommandLine commandLine() {
    return new CommandLine(name(), summary(), options());
  }

  /**
   * Runs the command with the parsed options.
   *
   * @param context where to print (only there) and where to look up models
   * @param conf the options as {@link #commandLine()} parsed them
   * @return the process exit code
   * @throws IllegalArgumentException for a bad option value; the launcher prints the message and
   *     exits with 2
   */
  int run(CommandContext context, Configuration conf) throws Exception;
}
