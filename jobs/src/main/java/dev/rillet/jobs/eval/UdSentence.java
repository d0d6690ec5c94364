package dev.rillet.jobs.eval;

import java.util.List;

/**
 * One sentence of a UD treebank: its id ({@code # sent_id}), the document it belongs to, its text
 * ({@code # text}) and its gold syntactic words with offsets in that text.
 */
public record UdSentence(String id, String documentId, String text, List<GoldWord> words) {
  public UdSentence {
    words = List.copyOf(words);
  }
}
