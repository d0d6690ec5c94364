/**
 * Running Rillet on a Flink cluster: {@link dev.rillet.jobs.cluster.RilletJob}, the entry class of
 * the cluster job jar, runs the live or backfill job of {@code pipeline}; {@link
 * dev.rillet.jobs.cluster.ClusterSubmission} submits it over Flink's REST API ({@link
 * dev.rillet.jobs.cluster.FlinkRestClient}) for {@code rillet live --jobmanager} and {@code rillet
 * backfill --jobmanager}; {@code rillet cluster} runs a {@link
 * dev.rillet.jobs.cluster.LocalCluster} of real processes and {@code rillet stop} stops a job with
 * a savepoint. It depends on {@code pipeline} and {@code cli} only, never on the commands that use
 * it.
 */
package dev.rillet.jobs.cluster;
