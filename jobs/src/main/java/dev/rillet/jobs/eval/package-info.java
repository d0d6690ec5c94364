/**
 * The {@code rillet eval} command: scores model packages on UD English EWT (UPOS) and SST
 * (sentiment) through the live job's operators ({@code pipeline.LiveJob.tag} and the sentence
 * stage), with the readers of the gold data, the scoring, and the report and model card section it
 * writes.
 */
package dev.rillet.jobs.eval;
