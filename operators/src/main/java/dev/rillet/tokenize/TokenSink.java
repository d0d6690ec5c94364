package dev.rillet.tokenize;

import org.apache.flink.annotation.PublicEvolving;

/**
 * Receives tokens as the tokenizer finds them, in order, without any allocation by the tokenizer.
 * The token's text is {@code text.substring(begin, end)}; a sink that needs it as a String makes it
 * itself.
 */
@FunctionalInterface
@PublicEvolving
public interface TokenSink {
  /**
   * Called once per token, in text order.
   *
   * @param text the whole text being tokenized
   * @param begin offset of the token's first UTF-16 char
   * @param end offset one past the token's last UTF-16 char ({@code end > begin})
   */
  void token(String text, int begin, int end);
}
