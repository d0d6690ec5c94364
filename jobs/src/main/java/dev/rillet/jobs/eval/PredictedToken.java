package dev.rillet.jobs.eval;

/**
 * One token a model tagged, as scoring sees it: where it lies in its sentence's text and its tag.
 * Any tagger's output fits: the real-time {@code TokenTag}s of an event, or the revised tokens of a
 * {@code SentenceAnalysis}.
 *
 * @param text the token text (for reports; alignment uses the offsets)
 * @param begin offset of its first UTF-16 char in the sentence text
 * @param end offset one past its last char
 * @param tag the predicted tag
 */
public record PredictedToken(String text, int begin, int end, String tag) {}
