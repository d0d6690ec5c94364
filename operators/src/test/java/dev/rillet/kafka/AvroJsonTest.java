package dev.rillet.kafka;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.rillet.avro.RejectedRecord;
import dev.rillet.avro.SentenceAnalysis;
import dev.rillet.avro.SentenceToken;
import dev.rillet.avro.TextEvent;
import dev.rillet.avro.TokenTag;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class AvroJsonTest {
  private static final ObjectMapper MAPPER = new ObjectMapper();

  @Test
  void writesTextEventAsCompactObject() {
    TextEvent e =
        TextEvent.newBuilder()
            .setStreamId("chat-1")
            .setSeq(3)
            .setEventTime(1_700_000_000_123L)
            .setText("She said \"hi\".\n")
            .setEndOfStream(true)
            .setAttributes(Map.of("lang", "en"))
            .build();

    assertThat(AvroJson.toJson(e))
        .isEqualTo(
            "{\"streamId\":\"chat-1\",\"seq\":3,\"eventTime\":1700000000123,"
                + "\"text\":\"She said \\\"hi\\\".\\n\",\"endOfStream\":true,"
                + "\"attributes\":{\"lang\":\"en\"}}");
  }

  @Test
  void writesFloatsAsNumbers() throws Exception {
    TokenTag t =
        TokenTag.newBuilder()
            .setStreamId("s")
            .setSeq(1)
            .setPosition(4)
            .setToken("dogs")
            .setBegin(10)
            .setEnd(14)
            .setTag("NOUN")
            .setProbability(0.1f)
            .setModelId("gru@1")
            .build();

    JsonNode json = MAPPER.readTree(AvroJson.toJson(t));

    assertThat(json.get("probability").isNumber()).isTrue();
    assertThat(json.get("probability").floatValue()).isEqualTo(0.1f);
    assertThat(json.get("position").longValue()).isEqualTo(4L);
    assertThat(json.get("tag").textValue()).isEqualTo("NOUN");
  }

  @Test
  void writesNestedRecordsArraysMapsAndUnions() throws Exception {
    Map<String, Float> probabilities = new LinkedHashMap<>();
    probabilities.put("positive", 0.75f);
    probabilities.put("negative", 0.25f);
    SentenceToken token =
        SentenceToken.newBuilder()
            .setToken("Good")
            .setPosition(0)
            .setSeq(0)
            .setBegin(0)
            .setEnd(4)
            .setTag("ADJ")
            .setProbability(0.5f)
            .setRealtimeTag(null)
            .setRevised(false)
            .build();
    SentenceAnalysis a =
        SentenceAnalysis.newBuilder()
            .setStreamId("s")
            .setSentenceIndex(2)
            .setFirstSeq(0)
            .setLastSeq(1)
            .setEventTime(5)
            .setClosedBy("TERMINATOR")
            .setTokens(List.of(token))
            .setSentiment("positive")
            .setSentimentProbabilities(probabilities)
            .setModelIds(List.of("elmo@1", "heads@1"))
            .setEmbeddings(List.of(List.of(1.5f, -2f)))
            .build();

    JsonNode json = MAPPER.readTree(AvroJson.toJson(a));

    assertThat(json.get("tokens").get(0).get("token").textValue()).isEqualTo("Good");
    assertThat(json.get("tokens").get(0).get("realtimeTag").isNull()).isTrue();
    assertThat(json.get("tokens").get(0).get("revised").booleanValue()).isFalse();
    assertThat(json.get("sentiment").textValue()).isEqualTo("positive");
    assertThat(json.get("sentimentProbabilities").get("negative").floatValue()).isEqualTo(0.25f);
    assertThat(json.get("modelIds").get(1).textValue()).isEqualTo("heads@1");
    assertThat(json.get("embeddings").get(0).get(1).floatValue()).isEqualTo(-2f);

    a.setEmbeddings(null);
    a.setSentiment(null);
    JsonNode withoutOptionals = MAPPER.readTree(AvroJson.toJson(a));
    assertThat(withoutOptionals.get("embeddings").isNull()).isTrue();
    assertThat(withoutOptionals.get("sentiment").isNull()).isTrue();
  }

  @Test
  void writesBytesAsBase64WithoutMovingTheBuffer() throws Exception {
    byte[] value = {0, 1, 2, (byte) 0xff};
    ByteBuffer buffer = ByteBuffer.wrap(value);
    RejectedRecord r =
        RejectedRecord.newBuilder()
            .setReason("cannot decode")
            .setSourceTopic("in")
            .setSourcePartition(1)
            .setSourceOffset(42)
            .setSourceTimestamp(7)
            .setKey(ByteBuffer.wrap("k".getBytes(StandardCharsets.UTF_8)))
            .setValue(buffer)
            .build();

    JsonNode json = MAPPER.readTree(AvroJson.toJson(r));

    assertThat(json.get("value").textValue()).isEqualTo("AAEC/w==");
    assertThat(json.get("key").textValue()).isEqualTo("aw==");
    assertThat(json.get("sourceOffset").longValue()).isEqualTo(42L);
    assertThat(buffer.remaining()).isEqualTo(4);
    // Written twice, same result: the record's buffer was not consumed.
    assertThat(AvroJson.toJson(r)).isEqualTo(AvroJson.toJson(r));
  }

  @Test
  void roundTripsTextEventsThroughTextEventJson() {
    TextEvent e =
        TextEvent.newBuilder()
            .setStreamId("doc-7")
            .setSeq(12)
            .setEventTime(1_700_000_000_000L)
            .setText("Ünïcödé — and emoji 🙂")
            .setAttributes(Map.of("user", "ann", "lang", "de"))
            .build();

    assertThat(TextEventJson.parse(AvroJson.toJson(e), 1)).isEqualTo(e);
  }
}
