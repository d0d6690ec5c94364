package dev.rillet.jobs.demo;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.rillet.avro.RejectedRecord;
import dev.rillet.avro.SentenceAnalysis;
import dev.rillet.avro.StreamSentiment;
import dev.rillet.avro.TokenTag;
import dev.rillet.jobs.pipeline.OutputReaders;
import dev.rillet.kafka.AvroJson;
import dev.rillet.kafka.KafkaOptions;
import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.apache.avro.specific.SpecificRecord;
import org.apache.flink.configuration.Configuration;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;

/**
 * Reads the demo job's committed outputs (read_committed, from the start of each output topic) and
 * shows each record on the {@link ConsoleView}, appends it to the {@code --sink-jsonl} file when
 * one is given, and tells the {@link Completion} about it.
 */
final class OutputWatcher implements AutoCloseable {
  private static final ObjectMapper JSON = new ObjectMapper();

  private final Map<String, String> topics;
  private final ConsoleView view;
  private final Completion completion;
  private final BufferedWriter jsonl;
  private final KafkaConsumer<byte[], byte[]> consumer;

  /**
   * Subscribes to the output topics of {@code job} on its broker.
   *
   * @param jsonl the file to append every record to as a JSON line, or null
   */
  OutputWatcher(Configuration job, Path jsonl, ConsoleView view, Completion completion)
      throws IOException {
    this.topics = outputTopics(job);
    this.view = view;
    this.completion = completion;
    this.jsonl = jsonl == null ? null : Files.newBufferedWriter(jsonl, StandardCharsets.UTF_8);
    KafkaConsumer<byte[], byte[]> c = null;
    try {
      c = OutputReaders.create(job.get(KafkaOptions.BOOTSTRAP_SERVERS), "rillet-demo-view");
      c.subscribe(topics.keySet());
    } catch (RuntimeException e) {
      // Nothing else will close what was opened: the caller never gets this object.
      if (c != null) {
        c.close();
      }
      if (this.jsonl != null) {
        this.jsonl.close();
      }
      throw e;
    }
    this.consumer = c;
  }

  /** The output topics of {@code job}, each with the kind of record it holds. */
  static Map<String, String> outputTopics(Configuration job) {
    Map<String, String> topics = new HashMap<>();
    topics.put(job.get(KafkaOptions.TAGS_TOPIC), "tags");
    topics.put(job.get(KafkaOptions.SENTIMENT_TOPIC), "sentiment");
    topics.put(job.get(KafkaOptions.SENTENCES_TOPIC), "sentences");
    topics.put(job.get(KafkaOptions.DEAD_LETTER_TOPIC), "dead-letters");
    return topics;
  }

  /**
   * Polls once (up to 200 ms) and handles what came.
   *
   * @return whether any record came
   */
  boolean poll() throws IOException {
    boolean progress = false;
    for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(200))) {
      progress = true;
      SpecificRecord value = decode(topics.get(r.topic()), r.value());
      if (jsonl != null) {
        jsonl.write(
            "{\"topic\":"
                + JSON.writeValueAsString(r.topic())
                + ",\"value\":"
                + AvroJson.toJson(value)
                + "}\n");
      }
      show(value);
    }
    if (jsonl != null && progress) {
      jsonl.flush();
    }
    return progress;
  }

  private void show(SpecificRecord value) {
    if (value instanceof TokenTag t) {
      view.tag(t);
      completion.tagged(t);
    } else if (value instanceof StreamSentiment s) {
      view.sentiment(s);
      completion.sentiment(s);
    } else if (value instanceof SentenceAnalysis a) {
      view.sentence(a);
      completion.sentence(a);
    } else if (value instanceof RejectedRecord d) {
      view.deadLetter(d);
    }
  }

  private static SpecificRecord decode(String kind, byte[] value) throws IOException {
    switch (kind) {
      case "tags":
        return TokenTag.getDecoder().decode(value);
      case "sentiment":
        return StreamSentiment.getDecoder().decode(value);
      case "sentences":
        return SentenceAnalysis.getDecoder().decode(value);
      default:
        return RejectedRecord.getDecoder().decode(value);
    }
  }

  /** Closes the consumer, then the JSON lines file (flushing it). */
  @Override
  public void close() throws IOException {
    try {
      consumer.close();
    } finally {
      if (jsonl != null) {
        jsonl.close();
      }
    }
  }
}
