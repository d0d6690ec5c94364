package dev.rillet.jobs.cli;

import org.apache.flink.configuration.Configuration;

/** One subcommand of the launcher ({@code rillet <name> [options]}). */
public interface Command {
  String name();

  String summary();

  CommandLine commandLine();

  /** Runs the command; returns the process exit code. */
  int run(Configuration conf) throws Exception;
}
