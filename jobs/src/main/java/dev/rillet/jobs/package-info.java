/**
 * The {@code rillet} command line of the shaded jar: {@link dev.rillet.jobs.Rillet} lists the
 * commands and runs the one named. Below it, data flows one way: the command packages ({@code
 * live}, {@code backfill}, {@code cluster}, {@code demo}, {@code eval}, {@code bench}, {@code
 * elmo}, {@code tools}) use {@code pipeline}, the jobs they run, and {@code cli}, the {@code
 * Command} interface and option parsing; {@code pipeline} uses only {@code cli}, and {@code cli}
 * nothing. The cluster job jar carries {@code cluster}, {@code pipeline} and {@code cli}. {@code
 * ArchitectureTest} checks that no two packages depend on each other in a cycle.
 */
package dev.rillet.jobs;
