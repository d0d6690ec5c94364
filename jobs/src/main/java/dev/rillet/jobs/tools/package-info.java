/**
 * Local tools around the jobs: a Kafka broker ({@code rillet kafka}), writing text events to a
 * topic ({@code rillet produce}) and reading a topic back ({@code rillet dump}), swapping the model
 * of running jobs ({@code rillet model-update}) and the tokenizer on its own ({@code rillet
 * tokenize}).
 */
package dev.rillet.jobs.tools;
