package dev.rillet.jobs.eval;

import dev.rillet.avro.SentenceAnalysis;
import dev.rillet.avro.SentenceToken;
import dev.rillet.avro.TextEvent;
import dev.rillet.jobs.pipeline.LiveEnvironment;
import dev.rillet.jobs.pipeline.LiveJob;
import dev.rillet.jobs.pipeline.SentenceStage;
import dev.rillet.kafka.AvroTrust;
import dev.rillet.kafka.KafkaInputRecord;
import dev.rillet.kafka.RilletKafka;
import dev.rillet.recurrent.TaggedEvent;
import dev.rillet.segment.SegmentedToken;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.util.CloseableIterator;

/**
 * Runs evaluation text through the live job's operator chain ({@link LiveJob#tag}: watermarks,
 * {@link dev.rillet.segment.Segmenter}, {@link dev.rillet.recurrent.RecurrentTagger}) in the live
 * job's environment ({@link LiveEnvironment}), with a bounded in-memory source instead of Kafka,
 * and collects what the tagger emits ({@link #run}) or, with the sentence stage after the tagger,
 * what the ELMo heads emit ({@link #runSentences}).
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
      double seconds) {
    /** What a run without any input gives: nothing. */
    static Predictions none() {
      return new Predictions(Map.of(), Map.of(), List.of(), null, 0, 0, 0);
    }
  }

  /**
   * What the sentence stage produced over the same events.
   *
   * @param tokensBySentence the heads' tokens of every UD sentence, by sentence id, offsets in the
   *     sentence text: every token of every {@link SentenceAnalysis} goes to the gold sentence of
   *     the event that carried it (stream id, seq), since a segmenter sentence can span events or
   *     split one
   * @param sstAnalyses per SST sentence id, the analysis that scores it: the segmenter sentence
   *     with the most tokens when the segmenter split the SST sentence ({@link #longest})
   * @param splitSstSentences SST sentences the segmenter split into more than one sentence
   * @param analyses every analysis, in the order collected
   * @param events input events
   * @param tokens tokens analysed
   * @param seconds wall time of the Flink job, start to end
   */
  public record SentencePredictions(
      Map<String, List<PredictedToken>> tokensBySentence,
      Map<String, SentenceAnalysis> sstAnalyses,
      int splitSstSentences,
      List<SentenceAnalysis> analyses,
      long events,
      long tokens,
      double seconds) {}

  /**
   * Runs the documents and SST sentences through the pipeline on a local MiniCluster (or the
   * cluster when submitted) and waits for the end of input.
   *
   * @param conf pipeline options ({@link dev.rillet.jobs.pipeline.PipelineOptions}); defaults
   *     otherwise
   * @param modelDir a model package checked by {@link dev.rillet.jobs.pipeline.ModelLocator}
   */
  public static Predictions run(
      Configuration conf, Path modelDir, List<UdDocument> documents, List<SstSentence> sst)
      throws Exception {
    Map<String, String> sentenceByEvent = new HashMap<>();
    List<TextEvent> events = events(documents, sst, sentenceByEvent);
    DataStream<TaggedEvent> tagged = tagged(conf, modelDir, events);

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
   * Runs the same events as {@link #run} through the tagger and then the sentence stage ({@code
   * stage.apply}), and maps the analyses back to the gold sentences.
   *
   * @param stage the sentence stage, already checked ({@link SentenceStage#check}); its models stay
   *     loaded while the caller holds the lease, so the job's operators share them
   * @throws IllegalStateException when an analysis names an event nobody sent, or a stream's
   *     analysed tokens are not each of its token positions exactly once
   */
  public static SentencePredictions runSentences(
      Configuration conf,
      Path modelDir,
      SentenceStage stage,
      List<UdDocument> documents,
      List<SstSentence> sst)
      throws Exception {
    Map<String, String> sentenceByEvent = new HashMap<>();
    List<TextEvent> events = events(documents, sst, sentenceByEvent);
    DataStream<SentenceAnalysis> analysed = stage.apply(tagged(conf, modelDir, events));

    List<SentenceAnalysis> analyses = new ArrayList<>();
    long start = System.nanoTime();
    try (CloseableIterator<SentenceAnalysis> it = analysed.executeAndCollect("rillet-eval-elmo")) {
      it.forEachRemaining(analyses::add);
    }
    double seconds = (System.nanoTime() - start) / 1e9;

    Map<String, List<PredictedToken>> tokens = new HashMap<>();
    Map<String, List<SentenceAnalysis>> bySstSentence = new HashMap<>();
    Map<String, BitSet> positions = new HashMap<>();
    long tokenCount = 0;
    for (SentenceAnalysis a : analyses) {
      BitSet seen = positions.computeIfAbsent(a.getStreamId(), k -> new BitSet());
      boolean document = a.getStreamId().startsWith(DOCUMENT_STREAM_PREFIX);
      for (SentenceToken t : a.getTokens()) {
        if (seen.get((int) t.getPosition())) {
          throw new IllegalStateException(
              "token " + t.getPosition() + " of " + a.getStreamId() + " was analysed twice");
        }
        seen.set((int) t.getPosition());
        String sentence = sentenceByEvent.get(key(a.getStreamId(), t.getSeq()));
        if (sentence == null) {
          throw new IllegalStateException(
              "the sentence stage emitted a token of an event nobody sent: "
                  + a.getStreamId()
                  + " seq "
                  + t.getSeq());
        }
        if (document) {
          tokens
              .computeIfAbsent(sentence, k -> new ArrayList<>())
              .add(new PredictedToken(t.getToken(), t.getBegin(), t.getEnd(), t.getTag()));
        }
      }
      tokenCount += a.getTokens().size();
      if (!document && !a.getTokens().isEmpty()) {
        String sentence = sentenceByEvent.get(key(a.getStreamId(), a.getFirstSeq()));
        bySstSentence.computeIfAbsent(sentence, k -> new ArrayList<>()).add(a);
      }
    }
    // Every stream ends with end-of-stream, so every token must have closed into a sentence.
    positions.forEach(
        (stream, seen) -> {
          if (seen.nextClearBit(0) != seen.length()) {
            throw new IllegalStateException(
                "stream "
                    + stream
                    + ": token position "
                    + seen.nextClearBit(0)
                    + " was never analysed");
          }
        });
    Map<String, SentenceAnalysis> sstAnalyses = new HashMap<>();
    int split = 0;
    for (Map.Entry<String, List<SentenceAnalysis>> e : bySstSentence.entrySet()) {
      sstAnalyses.put(e.getKey(), longest(e.getValue()));
      if (e.getValue().size() > 1) {
        split++;
      }
    }
    return new SentencePredictions(
        tokens, sstAnalyses, split, List.copyOf(analyses), events.size(), tokenCount, seconds);
  }

  /**
   * The analysis that stands for an SST sentence the segmenter split into several sentences: the
   * one with the most tokens, the earliest (lowest sentence index) on a tie. SST sentences are
   * labelled as a whole; the longest part is the one most likely to carry that label, and taking
   * one part keeps the prediction a sentence model's own output rather than a vote.
   *
   * @param parts the analyses of one SST stream, at least one, in any order
   */
  public static SentenceAnalysis longest(List<SentenceAnalysis> parts) {
    SentenceAnalysis best = null;
    for (SentenceAnalysis a : parts) {
      if (best == null
          || a.getTokens().size() > best.getTokens().size()
          || (a.getTokens().size() == best.getTokens().size()
              && a.getSentenceIndex() < best.getSentenceIndex())) {
        best = a;
      }
    }
    if (best == null) {
      throw new IllegalArgumentException("no analyses to choose from");
    }
    return best;
  }

  /**
   * The live chain (event time as the live source has it, decode, segmenter, tagger) over a bounded
   * in-memory source.
   */
  private static DataStream<TaggedEvent> tagged(
      Configuration conf, Path modelDir, List<TextEvent> events) {
    AvroTrust.install();
    StreamExecutionEnvironment env = LiveEnvironment.create(conf);
    // A bounded in-memory run has nothing to recover and no transactions to commit; checkpoints
    // would only race the finishing tasks. (Outputs never depend on when the operators flush.)
    env.getCheckpointConfig().disableCheckpointing();
    List<KafkaInputRecord> records = new ArrayList<>(events.size());
    for (TextEvent e : events) {
      records.add(KafkaInputRecord.of("eval", records.size(), e));
    }
    // Every event is valid: nothing reaches the decoder's dead-letter side output.
    DataStream<TextEvent> decoded =
        RilletKafka.decode(LiveJob.read(env, conf, records, "eval-text"));
    return LiveJob.tag(decoded, conf, modelDir);
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
