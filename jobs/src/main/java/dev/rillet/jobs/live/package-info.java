/**
 * The {@code rillet live} command ({@link dev.rillet.jobs.live.LiveCommand}): runs the live job of
 * {@code pipeline.LiveJob} in this process, with its state in a local state directory, until a
 * signal ({@link dev.rillet.jobs.live.SavepointOnSignal}) or an idle input ({@link
 * dev.rillet.jobs.live.InputIdleWatcher}) stops it with a savepoint; or submits it to a Flink
 * cluster through {@code cluster.ClusterSubmission}. Only the command and what only it uses live
 * here; the pipeline itself is in {@code dev.rillet.jobs.pipeline}.
 */
package dev.rillet.jobs.live;
