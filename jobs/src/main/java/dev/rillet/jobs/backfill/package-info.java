/**
 * The {@code rillet backfill} command ({@link dev.rillet.jobs.backfill.BackfillCommand}): runs a
 * backfill in this process ({@code pipeline.BackfillJob.run}) or submits it to a Flink cluster
 * through {@code cluster.ClusterSubmission}, after creating its output topics and fixing its run
 * id. The backfill job itself (range, input, warm-up gate, census) is in {@code
 * dev.rillet.jobs.pipeline}.
 */
package dev.rillet.jobs.backfill;
