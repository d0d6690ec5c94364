package dev.rillet.jobs.demo;

import dev.rillet.avro.RejectedRecord;
import dev.rillet.avro.SentenceAnalysis;
import dev.rillet.avro.SentenceToken;
import dev.rillet.avro.StreamSentiment;
import dev.rillet.avro.TokenTag;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Renders the demo's outputs as they are committed: one line per event with each token's tag, the
 * stream's running sentiment after it; one line per completed sentence with its bidirectional
 * sentiment and the tags ELMo revised; and dead letters.
 */
final class ConsoleView {
  private static final String RESET = "\u001b[0m";
  private static final String DIM = "\u001b[2m";
  private static final String GREEN = "\u001b[32m";
  private static final String RED = "\u001b[31m";
  private static final String YELLOW = "\u001b[33m";

  private final PrintStream out;
  private final boolean color;
  private final Map<String, List<TokenTag>> tagsByEvent = new LinkedHashMap<>();

  ConsoleView(PrintStream out, boolean color) {
    this.out = out;
    this.color = color;
  }

  void tag(TokenTag t) {
    tagsByEvent.computeIfAbsent(t.getStreamId() + "#" + t.getSeq(), k -> new ArrayList<>()).add(t);
  }

  void sentiment(StreamSentiment s) {
    List<TokenTag> tags = tagsByEvent.remove(s.getStreamId() + "#" + s.getSeq());
    StringBuilder line = eventLine(s.getStreamId(), s.getSeq(), tags == null ? List.of() : tags);
    float p = s.getProbabilities().getOrDefault(s.getLabel(), 0f);
    String mood = String.format("%s %.2f", s.getLabel(), p);
    String shade =
        s.getLabel().startsWith("pos") ? GREEN : s.getLabel().startsWith("neg") ? RED : "";
    line.append(" -> ").append(paint(shade, mood));
    out.println(line);
  }

  /** Prints tags whose event had no sentiment reading (e.g. a model without a sentiment head). */
  void flushPending() {
    for (List<TokenTag> tags : tagsByEvent.values()) {
      out.println(eventLine(tags.get(0).getStreamId(), tags.get(0).getSeq(), tags));
    }
    tagsByEvent.clear();
  }

  /** "stream #seq token/TAG token/TAG ..." */
  private StringBuilder eventLine(String streamId, long seq, List<TokenTag> tags) {
    StringBuilder line = new StringBuilder(String.format("%-18s #%-3d ", streamId, seq));
    for (TokenTag t : tags) {
      line.append(t.getToken()).append(paint(DIM, "/" + t.getTag())).append(' ');
    }
    return line;
  }

  /**
   * "stream sentence #i positive 0.91 revised: word TAG->TAG ..." for a completed sentence's
   * bidirectional analysis.
   */
  void sentence(SentenceAnalysis a) {
    StringBuilder line =
        new StringBuilder(
            String.format("%-18s sentence %-3d", a.getStreamId(), a.getSentenceIndex()));
    if (a.getSentiment() != null) {
      float p = a.getSentimentProbabilities().getOrDefault(a.getSentiment(), 0f);
      String shade =
          a.getSentiment().startsWith("pos")
              ? GREEN
              : a.getSentiment().startsWith("neg") ? RED : "";
      line.append(' ').append(paint(shade, String.format("%s %.2f", a.getSentiment(), p)));
    }
    StringBuilder revised = new StringBuilder();
    for (SentenceToken t : a.getTokens()) {
      if (t.getRevised()) {
        revised
            .append(' ')
            .append(t.getToken())
            .append(paint(DIM, " " + t.getRealtimeTag() + "->"))
            .append(t.getTag());
      }
    }
    line.append(
        revised.length() == 0
            ? paint(DIM, "  (all " + a.getTokens().size() + " real-time tags confirmed)")
            : "  revised:" + revised);
    out.println(line);
  }

  void deadLetter(RejectedRecord r) {
    out.println(
        paint(
            YELLOW,
            String.format(
                "dead letter from %s partition %d offset %d: %s",
                r.getSourceTopic(), r.getSourcePartition(), r.getSourceOffset(), r.getReason())));
  }

  void info(String message) {
    out.println(paint(DIM, "rillet demo: " + message));
  }

  private String paint(String code, String text) {
    return color && !code.isEmpty() ? code + text + RESET : text;
  }
}
