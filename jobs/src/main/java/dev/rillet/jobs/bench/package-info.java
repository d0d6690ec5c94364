/**
 * The {@code rillet bench} commands of the live job: end to end against a broker, on a local
 * MiniCluster or a cluster ({@code bench e2e}); the cost of a stream's state ({@code bench state});
 * the recurrent tagger's throughput ({@code bench tagger}); and what a stateless service would pay
 * per token instead ({@link dev.rillet.jobs.bench.StatelessBaseline}). They run the operators and
 * jobs of {@code pipeline}.
 */
package dev.rillet.jobs.bench;
