/**
 * The pipeline that every job of Rillet runs, and its two input modes. {@link
 * dev.rillet.jobs.pipeline.LiveJob} wires the operators (decode, segmenter, recurrent tagger,
 * sentence stage, exactly-once Kafka sinks) over the unbounded input topic; around it are the
 * options of a job ({@link dev.rillet.jobs.pipeline.PipelineOptions}, {@link
 * dev.rillet.jobs.pipeline.SentenceOptions}, and {@link dev.rillet.jobs.pipeline.StateOptions} for
 * its durable state), the model lookup ({@link dev.rillet.jobs.pipeline.ModelLocator}) and the
 * Flink environment ({@link dev.rillet.jobs.pipeline.LiveEnvironment}, {@link
 * dev.rillet.jobs.pipeline.StateDirectory}). {@link dev.rillet.jobs.pipeline.BackfillJob} runs the
 * same chain over a past time range of the topic or a file in BATCH mode ({@link
 * dev.rillet.jobs.pipeline.BackfillInput}, {@link dev.rillet.jobs.pipeline.WarmupGate}, {@link
 * dev.rillet.jobs.pipeline.BackfillEnvironment}). The commands ({@code live}, {@code backfill},
 * {@code demo}, {@code eval}, {@code bench}, ...) and the cluster job ({@code cluster.RilletJob})
 * build on this package; it depends on none of them, only on {@code cli} to read input files, and
 * is what the cluster job jar carries besides {@code cluster} and {@code cli}.
 */
package dev.rillet.jobs.pipeline;
