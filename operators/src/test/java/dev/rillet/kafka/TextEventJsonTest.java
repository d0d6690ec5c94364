package dev.rillet.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.rillet.avro.TextEvent;
import java.io.BufferedReader;
import java.io.StringReader;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class TextEventJsonTest {
  @Test
  void parsesAllFields() {
    TextEvent e =
        TextEventJson.parse(
            "{\"streamId\":\"chat-1\",\"seq\":4,\"eventTime\":1700000000000,\"text\":\"Hi.\","
                + "\"endOfStream\":false,\"attributes\":{\"lang\":\"en\"},\"extra\":1}",
            1);

    assertThat(e.getStreamId()).isEqualTo("chat-1");
    assertThat(e.getSeq()).isEqualTo(4L);
    assertThat(e.getEventTime()).isEqualTo(1_700_000_000_000L);
    assertThat(e.getText()).isEqualTo("Hi.");
    assertThat(e.getEndOfStream()).isFalse();
    assertThat(e.getAttributes()).isEqualTo(Map.of("lang", "en"));
  }

  @Test
  void acceptsIsoEventTimeAndDefaultsOptionalFields() {
    TextEvent e =
        TextEventJson.parse(
            "{\"streamId\":\"s\",\"seq\":0,\"eventTime\":\"2024-05-01T12:00:00.250Z\","
                + "\"text\":\"x\"}",
            1);

    assertThat(e.getEventTime()).isEqualTo(1_714_564_800_250L);
    assertThat(e.getEndOfStream()).isFalse();
    assertThat(e.getAttributes()).isEmpty();
  }

  @Test
  void acceptsEmptyTextOnEndOfStream() {
    TextEvent e =
        TextEventJson.parse(
            "{\"streamId\":\"s\",\"seq\":9,\"eventTime\":1,\"text\":\"\",\"endOfStream\":true}", 1);

    assertThat(e.getEndOfStream()).isTrue();
    assertThat(e.getText()).isEmpty();
  }

  @Test
  void errorsNameLineAndField() {
    assertError(
        "{\"seq\":1,\"eventTime\":1,\"text\":\"x\"}", "line 7: field 'streamId' is missing");
    assertError(
        "{\"streamId\":\"  \",\"seq\":1,\"eventTime\":1,\"text\":\"x\"}",
        "line 7: field 'streamId' must not be blank");
    assertError(
        "{\"streamId\":\"s\",\"seq\":\"one\",\"eventTime\":1,\"text\":\"x\"}",
        "line 7: field 'seq' must be an integer, got \"one\"");
    assertError(
        "{\"streamId\":\"s\",\"seq\":1.5,\"eventTime\":1,\"text\":\"x\"}",
        "line 7: field 'seq' must be an integer");
    assertError(
        "{\"streamId\":\"s\",\"seq\":-1,\"eventTime\":1,\"text\":\"x\"}",
        "line 7: field 'seq' must be >= 0");
    assertError(
        "{\"streamId\":\"s\",\"seq\":1,\"eventTime\":\"yesterday\",\"text\":\"x\"}",
        "line 7: field 'eventTime': 'yesterday' is neither epoch milliseconds nor an ISO-8601");
    assertError(
        "{\"streamId\":\"s\",\"seq\":1,\"eventTime\":true,\"text\":\"x\"}",
        "line 7: field 'eventTime' must be epoch milliseconds or an ISO-8601 string");
    assertError(
        "{\"streamId\":\"s\",\"seq\":1,\"eventTime\":1}", "line 7: field 'text' is missing");
    assertError(
        "{\"streamId\":\"s\",\"seq\":1,\"eventTime\":1,\"text\":\"\"}",
        "line 7: field 'text' is empty on an event that is not end of stream");
    assertError(
        "{\"streamId\":\"s\",\"seq\":1,\"eventTime\":1,\"text\":\"x\",\"endOfStream\":\"yes\"}",
        "line 7: field 'endOfStream' must be a boolean");
    assertError(
        "{\"streamId\":\"s\",\"seq\":1,\"eventTime\":1,\"text\":\"x\",\"attributes\":{\"n\":2}}",
        "line 7: field 'attributes.n' must be a string, got 2");
    assertError("{\"streamId\": \"s\", ", "line 7: invalid JSON");
    assertError("[1, 2]", "line 7: expected a JSON object");
  }

  @Test
  void readsAllLinesSkippingBlankOnesAndReportsEveryBadLine() throws Exception {
    String jsonl =
        "{\"streamId\":\"a\",\"seq\":0,\"eventTime\":1,\"text\":\"one\"}\n"
            + "\n"
            + "{\"streamId\":\"a\",\"seq\":1,\"eventTime\":2,\"text\":\"two\"}\n";
    List<TextEvent> events = TextEventJson.readAll(new BufferedReader(new StringReader(jsonl)));
    assertThat(events).extracting(TextEvent::getText).containsExactly("one", "two");

    String broken = "not json\n" + jsonl + "\n{\"streamId\":\"a\",\"seq\":2}\n";
    assertThatThrownBy(() -> TextEventJson.readAll(new BufferedReader(new StringReader(broken))))
        .isInstanceOf(TextEventJson.BadLinesException.class)
        .hasMessageStartingWith("2 bad lines (no event used):\n  line 1: invalid JSON")
        .hasMessageContaining("\n  line 6: field 'eventTime' is missing")
        .satisfies(
            e ->
                assertThat(((TextEventJson.BadLinesException) e).lines())
                    .extracting(TextEventJson.JsonLineException::lineNumber)
                    .containsExactly(1L, 6L));
  }

  private static void assertError(String line, String expectedPrefix) {
    assertThatThrownBy(() -> TextEventJson.parse(line, 7))
        .isInstanceOf(TextEventJson.JsonLineException.class)
        .hasMessageStartingWith(expectedPrefix);
  }
}
