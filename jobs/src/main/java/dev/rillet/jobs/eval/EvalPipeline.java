package dev.rillet.jobs.eval;

import dev.rillet.avro.TextEvent;
import dev.rillet.jobs.live.LiveEnvironment;
import dev.rillet.jobs.live.LiveJob;
import dev.rillet.kafka.AvroTrust;
import dev.rillet.recurrent.TaggedEvent;
import dev.rillet.segment.SegmentedToken;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.formats.avro.typeutils.AvroTypeInfo;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.util.CloseableIterator;

/**
 * Runs evaluation text through the live job's operator chain ({@link LiveJob#tag}: watermarks,
 * {@link dev.rillet.segment.Segmenter}, {@link dev.rillet.recurrent.RecurrentTagger}) in the live
 * job's environment ({@link LiveEnvironment}), with a bounded in-memory source instead of Kafka,
 * and collects what the tagger emits.
 *
 * <p>Streams, as a live producer would send them:
 *
 * <ul>
 *   <li>a UD document is one stream ({@code ewt:<doc id>}); each sentence is one event (seq 0, 1,
 *       ...) whose text is the sentence's {@code # text}; the last carries end-of-stream. The
 *       hidden state runs on across the document's sentences, as in live.
 *   <li>an SST sentence is one stream (its id) of one end-of-stream event.
 * </ul>
 *
 * <p>Events are interleaved round robin over the streams (every stream's seq 0, then seq 1, ...) so
 * that the tagger batches across streams as it does live. Event time advances 1 ms per event, so a
 * stream's consecutive events are never further apart than there are streams in milliseconds: far
 * inside the idle gap, so sentences close as their text says, not by timers.
 */
public final class EvalPipeline {
  /** Stream id prefix of UD documents. */
  public static final String DOCUMENT_STREAM_PREFIX = "ewt:";

  /** Event time of the first event; later events follow 1 ms apart. */
  static final long FIRST_EVENT_TIME = 1_000_000L;

  private EvalPipeline() {}

  /**
   * What the pipeline produced.
   *
   * @param tokensBySentence the tagged tokens of every UD sentence, by sentence id, offsets in the
   *     sentence text, in token order
   * @param sentimentBySentence the stream's last sentiment probabilities of every SST sentence, by
   *     sentence id (absent when the stream emitted none)
   * @param sentimentLabels the model's sentiment labels, ordered as the probabilities
   * @param modelId id@version of the model that tagged the events
   * @param events input events
   * @param tokens tokens tagged
   * @param seconds wall time of the Flink job, start to end
   */
  public record Predictions(
      Map<String, List<PredictedToken>> tokensBySentence,
      Map<String, float[]> sentimentBySentence,
      List<String> sentimentLabels,
      String modelId,
      long events,
      long tokens,
      double seconds) {}

  /**
   * Runs the documents and SST sentences through the pipeline on a local MiniCluster (or the
   * cluster when submitted) and waits for the end of input.
   *
   * @param conf pipeline options ({@link dev.rillet.jobs.live.PipelineOptions}); defaults otherwise
   * @param modelDir a model package checked by {@link dev.rillet.jobs.live.ModelLocator}
   */
  public static Predictions run(
      Configuration conf, Path modelDir, List<UdDocument> documents, List<SstSentence> sst)
      throws Exception {
    AvroTrust.install();
    Map<String, String> sentenceByEvent = new HashMap<>();
    List<TextEvent> events = events(documents, sst, sentenceByEvent);

    StreamExecutionEnvironment env = LiveEnvironment.create(conf);
    // A bounded in-memory run has nothing to recover and no transactions to commit; checkpoints
    // would only race the finishing tasks. (Outputs never depend on when the tagger flushes.)
    env.getCheckpointConfig().disableCheckpointing();
    DataStream<TextEvent> source =
        env.fromData(events, new AvroTypeInfo<>(TextEvent.class)).name("eval-text");
    DataStream<TaggedEvent> tagged = LiveJob.tag(source, conf, modelDir);

    Map<String, List<PredictedToken>> tokens = new HashMap<>();
    Map<String, float[]> sentiment = new HashMap<>();
    List<String> labels = List.of();
    String modelId = null;
    long tokenCount = 0;
    long received = 0;
    long start = System.nanoTime();
    try (CloseableIterator<TaggedEvent> it = tagged.executeAndCollect("rillet-eval")) {
      while (it.hasNext()) {
        TaggedEvent t = it.next();
        if (t.event.isCloseMarker()) {
          continue;
        }
        String sentence = sentenceByEvent.get(key(t.event.streamId, t.event.seq));
        if (sentence == null) {
          throw new IllegalStateException("the tagger emitted an event nobody sent: " + t.event);
        }
        received++;
        modelId = t.modelId;
        SegmentedToken[] segmented = t.event.tokens;
        tokenCount += segmented.length;
        if (t.event.streamId.startsWith(DOCUMENT_STREAM_PREFIX)) {
          List<PredictedToken> predicted = new ArrayList<>(segmented.length);
          for (int i = 0; i < segmented.length; i++) {
            SegmentedToken s = segmented[i];
            predicted.add(new PredictedToken(s.text, s.begin, s.end, t.tags[i]));
          }
          tokens.put(sentence, predicted);
        } else if (t.hasSentiment()) {
          // Per-stream order is kept, so the last reading seen is the one after the last token.
          sentiment.put(sentence, t.sentimentProbabilities);
          labels = Arrays.asList(t.sentimentLabels);
        }
      }
    }
    double seconds = (System.nanoTime() - start) / 1e9;
    // Every input event yields exactly one tagged event; anything else would skew the figures.
    if (received != events.size()) {
      throw new IllegalStateException(
          "sent " + events.size() + " events but collected " + received + " tagged events");
    }
    return new Predictions(
        tokens, sentiment, List.copyOf(labels), modelId, events.size(), tokenCount, seconds);
  }

  /**
   * The input events, interleaved round robin over streams, with event times 1 ms apart; fills
   * {@code sentenceByEvent} (streamId#seq -> sentence id).
   */
  static List<TextEvent> events(
      List<UdDocument> documents, List<SstSentence> sst, Map<String, String> sentenceByEvent) {
    List<List<TextEvent>> streams = new ArrayList<>();
    for (UdDocument d : documents) {
      String streamId = DOCUMENT_STREAM_PREFIX + d.id();
      List<TextEvent> stream = new ArrayList<>(d.sentences().size());
      for (int i = 0; i < d.sentences().size(); i++) {
        UdSentence s = d.sentences().get(i);
        stream.add(event(streamId, i, s.text(), i == d.sentences().size() - 1));
        sentenceByEvent.put(key(streamId, i), s.id());
      }
      streams.add(stream);
    }
    for (SstSentence s : sst) {
      streams.add(List.of(event(s.id(), 0, s.text(), true)));
      sentenceByEvent.put(key(s.id(), 0), s.id());
    }
    List<TextEvent> out = new ArrayList<>();
    int longest = streams.stream().mapToInt(List::size).max().orElse(0);
    for (int seq = 0; seq < longest; seq++) {
      for (List<TextEvent> stream : streams) {
        if (seq < stream.size()) {
          TextEvent e = stream.get(seq);
          e.setEventTime(FIRST_EVENT_TIME + out.size());
          out.add(e);
        }
      }
    }
    return out;
  }

  private static TextEvent event(String streamId, long seq, String text, boolean endOfStream) {
    return TextEvent.newBuilder()
        .setStreamId(streamId)
        .setSeq(seq)
        .setEventTime(0)
        .setText(text)
        .setEndOfStream(endOfStream)
        .build();
  }

  private static String key(String streamId, long seq) {
    return streamId + "#" + seq;
  }
}
