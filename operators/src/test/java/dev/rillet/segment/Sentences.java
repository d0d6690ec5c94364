package dev.rillet.segment;

import java.util.ArrayList;
import java.util.List;

/** Test helper: rebuilds a stream's sentences from the segmenter's outputs, in output order. */
final class Sentences {
  /** One closed sentence: its index, token texts and why it closed. */
  record Sentence(long index, List<String> tokens, SentenceEnd end) {
    @Override
    public String toString() {
      return index + ":" + String.join(" ", tokens) + "|" + end;
    }
  }

  private final List<Sentence> closed = new ArrayList<>();
  private final List<String> open = new ArrayList<>();
  private long openIndex = -1;

  void accept(SegmentedEvent e) {
    if (e.closedBefore != null) {
      close(e.closedSentenceIndex, e.closedBefore);
    }
    for (SegmentedToken t : e.tokens) {
      if (open.isEmpty()) {
        openIndex = t.sentenceIndex;
      }
      open.add(t.text);
      if (t.sentenceEnd != null) {
        close(t.sentenceIndex, t.sentenceEnd);
      }
    }
  }

  void acceptAll(List<SegmentedEvent> events) {
    events.forEach(this::accept);
  }

  private void close(long index, SentenceEnd end) {
    if (open.isEmpty() || index != openIndex) {
      throw new AssertionError("close of sentence " + index + " but open is " + openIndex + open);
    }
    closed.add(new Sentence(index, List.copyOf(open), end));
    open.clear();
  }

  List<Sentence> closed() {
    return closed;
  }

  List<String> open() {
    return open;
  }
}
