package dev.rillet.jobs.eval;

/**
 * One labelled sentence of an SST split.
 *
 * @param id unique within the evaluation, e.g. {@code sst2-test-17} (split and 1-based line)
 * @param label gold label: 0 negative, 1 positive for SST-2
 * @param text the sentence (SST's own lower-cased tokenisation, as in the file)
 */
public record SstSentence(String id, int label, String text) {}
