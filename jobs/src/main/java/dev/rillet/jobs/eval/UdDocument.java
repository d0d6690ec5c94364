package dev.rillet.jobs.eval;

import java.util.List;

/** One document of a UD treebank ({@code # newdoc id}): its sentences in order. */
public record UdDocument(String id, List<UdSentence> sentences) {
  public UdDocument {
    sentences = List.copyOf(sentences);
  }
}
