/**
 * What every command shares and nothing above it: the {@link dev.rillet.jobs.cli.Command} interface
 * and what a run of one prints to and looks models up in ({@link
 * dev.rillet.jobs.cli.CommandContext}), option parsing into a Flink configuration ({@link
 * dev.rillet.jobs.cli.CommandLine}) and reading files of text events given on the command line
 * ({@link dev.rillet.jobs.cli.TextEventFiles}). It depends on no other package of {@code
 * dev.rillet.jobs}.
 */
package dev.rillet.jobs.cli;
