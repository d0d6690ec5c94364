package dev.rillet.jobs.eval;

/**
 * One gold syntactic word of a UD sentence (an integer-ID line of a CoNLL-U file; multiword token
 * ranges and empty nodes are not words) and where it lies in the sentence text.
 *
 * @param form the word form (FORM column)
 * @param upos the gold universal part-of-speech tag (UPOS column)
 * @param begin offset of its first UTF-16 char in the sentence text, or -1 when the form could not
 *     be located in the text (it then cannot align with any predicted token)
 * @param end offset one past its last char, or -1 with {@code begin}
 */
public record GoldWord(String form, String upos, int begin, int end) {
  /** True when the word has offsets in the sentence text. */
  public boolean located() {
    return begin >= 0;
  }
}
