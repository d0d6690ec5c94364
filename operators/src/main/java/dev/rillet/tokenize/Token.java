package dev.rillet.tokenize;

import org.apache.flink.annotation.PublicEvolving;

/**
 * One token: its text and where it sits in the tokenized string.
 *
 * @param text the token text, always {@code source.substring(begin, end)}
 * @param begin offset of the first UTF-16 char in the source text
 * @param end offset one past the last UTF-16 char in the source text
 */
@PublicEvolving
public record Token(String text, int begin, int end) {}
