package dev.rillet.kafka;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.rillet.avro.TextEvent;
import java.io.BufferedReader;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.flink.annotation.Internal;

/**
 * Reads {@link TextEvent}s from JSON lines, one object per line:
 *
 * <pre>{@code
 * {"streamId":"chat-1","seq":0,"eventTime":"2024-05-01T12:00:00Z","text":"Hello there.",
 *  "endOfStream":false,"attributes":{"lang":"en"}}
 * }</pre>
 *
 * {@code streamId} (non-blank string), {@code seq} (integer >= 0), {@code eventTime} (epoch
 * milliseconds, or an ISO-8601 instant string) and {@code text} (string) are required; {@code
 * endOfStream} (boolean, default false) and {@code attributes} (object of strings, default empty)
 * are optional; other fields are ignored. Text may be empty only on an end-of-stream event. Errors
 * name the line number and the field. {@link AvroJson#toJson} writes lines this class reads.
 */
@Internal
public final class TextEventJson {
  private static final ObjectMapper MAPPER = new ObjectMapper();

  private TextEventJson() {}

  /** A JSON line that is not a valid TextEvent; the message names the line and field. */
  public static final class JsonLineException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;
    private final long lineNumber;

    JsonLineException(long lineNumber, String message) {
      super("line " + lineNumber + ": " + message);
      this.lineNumber = lineNumber;
    }

    public long lineNumber() {
      return lineNumber;
    }
  }

  /**
   * The invalid lines of a file, all of them: the message lists each with its line number, so one
   * run shows every line to fix.
   */
  public static final class BadLinesException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;
    private final List<JsonLineException> lines;

    BadLinesException(List<JsonLineException> lines) {
      super(message(lines));
      this.lines = List.copyOf(lines);
    }

    /** Every bad line's error, in file order. */
    public List<JsonLineException> lines() {
      return lines;
    }

    private static String message(List<JsonLineException> lines) {
      StringBuilder b =
          new StringBuilder()
              .append(lines.size())
              .append(lines.size() == 1 ? " bad line" : " bad lines")
              .append(" (no event used):");
      for (JsonLineException e : lines) {
        b.append("\n  ").append(e.getMessage());
      }
      return b.toString();
    }
  }

  /**
   * Parses one line.
   *
   * @param lineNumber the line's number (from 1), for error messages
   * @throws JsonLineException if the line is not a valid TextEvent
   */
  public static TextEvent parse(String line, long lineNumber) {
    JsonNode root;
    try {
      root = MAPPER.readTree(line);
    } catch (JsonProcessingException e) {
      throw new JsonLineException(lineNumber, "invalid JSON: " + e.getOriginalMessage());
    }
    if (root == null || !root.isObject()) {
      throw new JsonLineException(lineNumber, "expected a JSON object");
    }
    String streamId = requiredString(root, "streamId", lineNumber);
    if (streamId.isBlank()) {
      throw new JsonLineException(lineNumber, "field 'streamId' must not be blank");
    }
    long seq = requiredLong(root, "seq", lineNumber);
    if (seq < 0) {
      throw new JsonLineException(lineNumber, "field 'seq' must be >= 0, got " + seq);
    }
    long eventTime = eventTime(root, lineNumber);
    String text = requiredString(root, "text", lineNumber);
    boolean endOfStream = false;
    JsonNode eos = root.get("endOfStream");
    if (eos != null && !eos.isNull()) {
      if (!eos.isBoolean()) {
        throw wrongType(lineNumber, "endOfStream", "a boolean", eos);
      }
      endOfStream = eos.booleanValue();
    }
    if (text.isEmpty() && !endOfStream) {
      throw new JsonLineException(
          lineNumber, "field 'text' is empty on an event that is not end of stream");
    }
    return TextEvent.newBuilder()
        .setStreamId(streamId)
        .setSeq(seq)
        .setEventTime(eventTime)
        .setText(text)
        .setEndOfStream(endOfStream)
        .setAttributes(attributes(root, lineNumber))
        .build();
  }

  /**
   * Parses every non-blank line of {@code reader}, numbering lines from 1. Reads to the end even
   * after a bad line, so that every bad line is reported at once.
   *
   * @throws BadLinesException if any line is invalid, naming all of them
   */
  public static List<TextEvent> readAll(BufferedReader reader) throws IOException {
    List<TextEvent> events = new ArrayList<>();
    List<JsonLineException> bad = new ArrayList<>();
    long number = 0;
    for (String line = reader.readLine(); line != null; line = reader.readLine()) {
      number++;
      if (!line.isBlank()) {
        try {
          events.add(parse(line, number));
        } catch (JsonLineException e) {
          bad.add(e);
        }
      }
    }
    if (!bad.isEmpty()) {
      throw new BadLinesException(bad);
    }
    return events;
  }

  private static String requiredString(JsonNode root, String field, long lineNumber) {
    JsonNode node = required(root, field, lineNumber);
    if (!node.isTextual()) {
      throw wrongType(lineNumber, field, "a string", node);
    }
    return node.textValue();
  }

  private static long requiredLong(JsonNode root, String field, long lineNumber) {
    JsonNode node = required(root, field, lineNumber);
    if (!node.isIntegralNumber() || !node.canConvertToLong()) {
      throw wrongType(lineNumber, field, "an integer", node);
    }
    return node.longValue();
  }

  private static long eventTime(JsonNode root, long lineNumber) {
    JsonNode node = required(root, "eventTime", lineNumber);
    if (node.isIntegralNumber() && node.canConvertToLong()) {
      return node.longValue();
    }
    if (node.isTextual()) {
      try {
        return KafkaOptions.parseTimestamp("eventTime", node.textValue());
      } catch (IllegalArgumentException e) {
        throw new JsonLineException(lineNumber, "field " + quoted(e.getMessage()));
      }
    }
    throw wrongType(lineNumber, "eventTime", "epoch milliseconds or an ISO-8601 string", node);
  }

  private static Map<String, String> attributes(JsonNode root, long lineNumber) {
    JsonNode node = root.get("attributes");
    Map<String, String> out = new LinkedHashMap<>();
    if (node == null || node.isNull()) {
      return out;
    }
    if (!node.isObject()) {
      throw wrongType(lineNumber, "attributes", "an object of strings", node);
    }
    for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      if (!e.getValue().isTextual()) {
        throw wrongType(lineNumber, "attributes." + e.getKey(), "a string", e.getValue());
      }
      out.put(e.getKey(), e.getValue().textValue());
    }
    return out;
  }

  private static JsonNode required(JsonNode root, String field, long lineNumber) {
    JsonNode node = root.get(field);
    if (node == null || node.isNull()) {
      throw new JsonLineException(lineNumber, "field '" + field + "' is missing");
    }
    return node;
  }

  private static JsonLineException wrongType(
      long lineNumber, String field, String expected, JsonNode got) {
    return new JsonLineException(
        lineNumber,
        "field '" + field + "' must be " + expected + ", got " + abbreviate(got.toString()));
  }

  /** Turns "eventTime: 'x' is neither ..." into "'eventTime': 'x' is neither ...". */
  private static String quoted(String message) {
    return "'" + message.replaceFirst(":", "':");
  }

  private static String abbreviate(String s) {
    return s.length() <= 60 ? s : s.substring(0, 57) + "...";
  }
}
