package dev.rillet.elmo;

import dev.rillet.avro.ModelUpdate;
import dev.rillet.avro.ModelUpdatePolicy;
import dev.rillet.avro.ModelUpdateTarget;
import dev.rillet.avro.SentenceAnalysis;
import dev.rillet.avro.SentenceToken;
import dev.rillet.bundle.BatchLimit;
import dev.rillet.bundle.BundlingBuilder;
import dev.rillet.bundle.ModelControlledOperator;
import dev.rillet.elmo.runtime.ElmoSource;
import dev.rillet.onnx.ExecutionProvider;
import dev.rillet.recurrent.TaggedEvent;
import dev.rillet.segment.SegmentedEvent;
import dev.rillet.segment.SegmentedToken;
import dev.rillet.segment.SentenceEnd;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.flink.annotation.PublicEvolving;
import org.apache.flink.api.common.state.ListState;
import org.apache.flink.api.common.state.ListStateDescriptor;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeinfo.PrimitiveArrayTypeInfo;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.metrics.Counter;
import org.apache.flink.runtime.execution.SuppressRestartsException;
import org.apache.flink.runtime.state.StateInitializationContext;
import org.apache.flink.runtime.state.StateSnapshotContext;
import org.apache.flink.runtime.state.VoidNamespace;
import org.apache.flink.runtime.state.VoidNamespaceSerializer;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keyed (by streamId), bundled operator that runs a bidirectional language model (ELMo) and its
 * task heads over every completed sentence and emits one {@link SentenceAnalysis} per sentence:
 * revised tags (and which differ from the real-time tags), the sentence's sentiment, optionally
 * per-token embeddings.
 *
 * <p><b>Input.</b> The {@link TaggedEvent}s of the real-time tagger, keyed the same way. The open
 * sentence's tokens (with their real-time tags) live in keyed list state until the segmenter's
 * marks close it: a token's {@code sentenceEnd}, or an event's {@code closedBefore} (idle gap,
 * expiry). A fresh stream, an end of stream or an expiry releases the stream's state.
 *
 * <p><b>Bundling.</b> Closed sentences wait in memory, in the order they closed, until the queue
 * holds {@code maxBundleTokens} tokens, the processing-time {@code maxDelay} after the first one
 * passes, a watermark arrives, a checkpoint barrier is due ({@link #prepareSnapshotPreBarrier}, so
 * the queue never needs checkpointing) or the input ends. A flush groups the queue by length
 * ({@link LengthBuckets}), runs one analyzer call per batch and emits the results in closing order,
 * so per-stream order is kept.
 *
 * <p><b>Stateless</b> (default): a sentence's output depends only on its tokens, which is what
 * replay needs. <b>Stateful</b> (AllenNLP semantics): each stream's LSTM states carry from one
 * sentence to the next in keyed state; a flush then runs in rounds so that one batch never holds
 * two sentences of a stream and each sees its predecessor's final state.
 *
 * <p><b>Model updates.</b> As a two-input operator (the job's model-control topic wired, broadcast
 * to every subtask) it takes {@link ModelUpdate}s with target {@code ELMO} on its second input and
 * ignores the tagger's. An update is applied where it stands in the subtask's input, as the
 * tagger's are: the new biLM (or the serving one, when the update names none) and heads package are
 * loaded and validated on the task thread, off the serving pair; then the queue is flushed on the
 * old pair, then the new pair analyses every sentence that closes after the update, so a sentence
 * is always analysed wholly by one pair. In stateful mode every stream's LSTM state restarts from
 * zero on the new pair (RESET, the only policy for ELMo). An update that cannot be loaded, does not
 * fit (heads against biLM, stateful mode, embeddings), is not the heads package the update names,
 * or asks for another policy is refused: logged at ERROR with the reason, counted by {@code
 * modelUpdatesRefused}, the old pair serves on. The control input takes no part in event time.
 *
 * <p><b>Restoring.</b> The union operator state records the serving pair ({@link ElmoPairRecord}:
 * biLM, heads folder, the update that installed it, the pair the job was started with). A restore
 * whose flags ({@code --elmo}, {@code --elmo-heads}) name the pair the job was started with
 * continues on the updated pair, loaded from the recorded paths (failing the job, without restarts,
 * when they are gone); flags naming the restored pair serve it; other flags are a deliberate choice
 * and serve (logged; in stateful mode the LSTM states restart from zero). A snapshot without
 * updates restores as before.
 *
 * <p><b>Sizes.</b> {@code maxBatchSize}, {@code maxBatchTokens} and {@code maxBundleTokens} default
 * by the execution provider the analyzer runs on ({@link
 * SentenceAnalyzer.Factory#executionProvider}), picked in {@link #open()} where it runs: {@link
 * #DEFAULT_MAX_BATCH_SIZE}, {@link #DEFAULT_MAX_BATCH_TOKENS}, {@link #DEFAULT_MAX_BUNDLE_TOKENS}.
 * A value set on the builder holds on both. The sizes in use are gauges of those names and are
 * logged once per subtask.
 */
@PublicEvolving
public final class SentenceElmo extends ModelControlledOperator<TaggedEvent, SentenceAnalysis> {
  private static final long serialVersionUID = 1L;
  private static final Logger LOG = LoggerFactory.getLogger(SentenceElmo.class);

  static final String OPEN_STATE = "open-sentence";
  static final String LSTM_STATE = "elmo-lstm-state";
  static final String PAIR_STATE = "elmo-pair";

  /**
   * Sentences per ELMo call unless set: 4x on CUDA, where a larger batch costs little more per
   * call, while on the CPU it only adds to the latency of the batch's first sentence.
   */
  public static final BatchLimit DEFAULT_MAX_BATCH_SIZE = BatchLimit.byProvider(32, 128);

  /** Padded tokens per ELMo call unless set: 4x on CUDA, to keep up with the larger batches. */
  public static final BatchLimit DEFAULT_MAX_BATCH_TOKENS = BatchLimit.byProvider(1024, 4096);

  /** Queued tokens that trigger a flush unless set: 4x on CUDA, to fill the larger batches. */
  public static final BatchLimit DEFAULT_MAX_BUNDLE_TOKENS = BatchLimit.byProvider(2048, 8192);

  private final SentenceAnalyzer.Factory analyzerFactory;
  private final boolean stateful;
  private final EmbeddingsMode embeddings;
  private final BatchLimit maxBatchTokens;

  private transient SentenceAnalyzer analyzer;

  /** Makes the serving pair: {@link #analyzerFactory}, or what an update installed. */
  private transient SentenceAnalyzer.Factory servingFactory;

  /** The update that installed the serving pair; null for the job's own pair. */
  private transient String updateId;

  private transient long updateTime;
  private transient String startElmo;
  private transient String startHeadsDir;
  private transient ListState<ElmoPairRecord> pairState;
  private transient List<ElmoPairRecord> restoredPairs;
  private transient ValueStateDescriptor<float[]> lstmDescriptor;
  private transient String[] tagLabels;
  private transient String[] sentimentLabels;
  private transient List<String> modelIds;
  private transient LengthBuckets buckets;
  private transient ListState<OpenToken> open;
  private transient ValueState<float[]> lstmState;

  /** Closed sentences waiting for the next flush, in closing order. */
  private transient List<ClosedSentence> queue;

  private transient Counter sentencesAnalyzed;
  private transient Counter tokensAnalyzed;
  private transient Counter tagsRevised;

  private SentenceElmo(Builder b) {
    super(ModelUpdateTarget.ELMO, b);
    this.analyzerFactory = b.analyzer;
    this.stateful = b.stateful;
    this.embeddings = b.embeddings;
    this.maxBatchTokens = b.maxBatchTokens;
  }

  public static Builder builder() {
    return new Builder();
  }

  @Override
  public void initializeState(StateInitializationContext context) throws Exception {
    super.initializeState(context);
    restoredPairs = new ArrayList<>();
    pairState =
        unionState(
            context,
            new ListStateDescriptor<>(PAIR_STATE, TypeInformation.of(ElmoPairRecord.class)),
            restoredPairs);
  }

  @Override
  public void open() throws Exception {
    super.open();
    open =
        getRuntimeContext()
            .getListState(
                new ListStateDescriptor<>(OPEN_STATE, TypeInformation.of(OpenToken.class)));
    lstmDescriptor =
        new ValueStateDescriptor<>(
            LSTM_STATE, PrimitiveArrayTypeInfo.FLOAT_PRIMITIVE_ARRAY_TYPE_INFO);
    lstmState = getRuntimeContext().getState(lstmDescriptor);
    SentenceAnalyzer first = restoreServing();
    String problem = fits(first);
    if (problem != null) {
      first.close();
      throw new IllegalStateException(problem);
    }
    install(first);
    buckets = new LengthBuckets(batchSize(), sized("maxBatchTokens", maxBatchTokens));
    queue = new ArrayList<>();
    sentencesAnalyzed = getMetricGroup().counter("sentencesAnalyzed");
    tokensAnalyzed = getMetricGroup().counter("tokensAnalyzed");
    tagsRevised = getMetricGroup().counter("tagsRevised");
    logSizes();
  }

  @Override
  protected ExecutionProvider resolveExecutionProvider() {
    return analyzerFactory.executionProvider();
  }

  /**
   * The serving pair after a restore, by the rules in the class javadoc, created; the configured
   * pair when nothing (or nothing updated) is restored.
   */
  private SentenceAnalyzer restoreServing() throws Exception {
    servingFactory = analyzerFactory;
    ElmoSource flagSource = analyzerFactory.elmoSource();
    if (flagSource == null) {
      return analyzerFactory.create();
    }
    String flagHeads = canonical(analyzerFactory.headsDir());
    startElmo = flagSource.toString();
    startHeadsDir = flagHeads;
    ElmoPairRecord restored =
        latest(
            restoredPairs.stream().filter(r -> r.updateId != null),
            r -> r.updateTime,
            r -> r.updateId);
    if (restored == null) {
      return analyzerFactory.create();
    }
    boolean flagsAreRestored =
        flagSource.equals(restored.source()) && flagHeads.equals(restored.headsDir);
    boolean flagsAreStart =
        startElmo.equals(restored.startElmo) && flagHeads.equals(restored.startHeadsDir);
    if (flagsAreRestored) {
      keepRestored(restored);
      return analyzerFactory.create();
    }
    if (flagsAreStart) {
      keepRestored(restored);
      servingFactory = analyzerFactory.withModels(restored.source(), Path.of(restored.headsDir));
      SentenceAnalyzer a;
      try {
        a = servingFactory.create();
      } catch (Exception e) {
        // Restarting would restore the same state and fail the same way: fail the job once.
        throw new SuppressRestartsException(
            new IllegalStateException(
                "the restored state is on ELMo pair "
                    + restored
                    + ", installed by model update "
                    + restored.updateId
                    + ", and that pair cannot be loaded: "
                    + e.getMessage()
                    + ". Put the files back at those paths on every TaskManager, or restart with"
                    + " --elmo and --elmo-heads set to copies of them",
                e));
      }
      LOG.info(
          "Continuing on ELMo pair {} (installed by model update {}), not on --elmo {} and"
              + " --elmo-heads {}: the restored state was written after that update",
          restored,
          restored.updateId,
          flagSource,
          flagHeads);
      return a;
    }
    LOG.warn(
        "The restored state was written on ELMo pair {} (installed by model update {}); serving"
            + " --elmo {} and --elmo-heads {} as given{}",
        restored,
        restored.updateId,
        flagSource,
        flagHeads,
        stateful ? "; every stream's LSTM state restarts from zero" : "");
    if (stateful) {
      resetLstmStates();
    }
    return analyzerFactory.create();
  }

  private void keepRestored(ElmoPairRecord restored) {
    updateId = restored.updateId;
    updateTime = restored.updateTime;
    startElmo = restored.startElmo;
    startHeadsDir = restored.startHeadsDir;
  }

  /** Why {@code a} cannot serve this operator's settings, or null when it can. */
  private String fits(SentenceAnalyzer a) {
    if (stateful && a.stateSize() == 0) {
      return "SentenceElmo is configured stateful but its analyzer runs stateless: build the ELMo"
          + " model with LSTM state inputs (convert it with --stateful)";
    }
    try {
      a.requireEmbeddings(embeddings);
    } catch (RuntimeException e) {
      return e.getMessage();
    }
    return null;
  }

  /** Makes {@code a} the serving analyzer, with its labels and model ids. */
  private void install(SentenceAnalyzer a) {
    analyzer = a;
    tagLabels = a.tagLabels().toArray(new String[0]);
    sentimentLabels = a.sentimentLabels().toArray(new String[0]);
    modelIds = List.copyOf(a.modelIds());
  }

  private void resetLstmStates() throws Exception {
    getKeyedStateBackend()
        .applyToAllKeys(
            VoidNamespace.INSTANCE,
            VoidNamespaceSerializer.INSTANCE,
            lstmDescriptor,
            (key, state) -> state.clear());
  }

  /** A folder's real path, so that two spellings of one folder compare equal; as given if gone. */
  static String canonical(Path dir) {
    try {
      return dir.toRealPath().toString();
    } catch (IOException e) {
      return dir.toAbsolutePath().normalize().toString();
    }
  }

  /**
   * An ELMo update, applied at this point of the input (see the class javadoc): loads and validates
   * the new pair, flushes the queue on the old one, then switches.
   */
  @Override
  protected void applyUpdate(ModelUpdate update) throws Exception {
    String id = update.getUpdateId();
    if (update.getPolicy() != ModelUpdatePolicy.RESET) {
      refuse(
          update,
          "policy "
              + update.getPolicy()
              + " applies to the tagger only; an ELMo update is always RESET (send it with"
              + " --policy reset)");
      return;
    }
    ElmoSource current = servingFactory.elmoSource();
    if (current == null) {
      refuse(update, "this sentence stage's analyzer cannot swap models");
      return;
    }
    ElmoSource source;
    try {
      source =
          update.getElmoSource() == null
              ? current
              : ElmoSource.resolve(Path.of(update.getElmoSource()));
    } catch (RuntimeException e) {
      refuse(update, e.getMessage());
      return;
    }
    Path heads = Path.of(update.getPackageDir());
    if (source.equals(current) && canonical(heads).equals(canonical(servingFactory.headsDir()))) {
      LOG.info("Model update {} ignored: ELMo pair {} already serves", id, modelIds);
      return;
    }
    long start = System.nanoTime();
    SentenceAnalyzer.Factory nextFactory = servingFactory.withModels(source, heads);
    SentenceAnalyzer next;
    try {
      next = nextFactory.create();
    } catch (Exception e) {
      refuse(update, e.getMessage());
      return;
    }
    String problem = fits(next);
    if (problem == null && !next.modelIds().contains(update.getModelId())) {
      problem =
          "the heads package in "
              + update.getPackageDir()
              + " is "
              + next.modelIds()
              + ", not "
              + update.getModelId()
              + " as the update says (it changed since the update was written); validate it"
              + " again with ./rillet model-update";
    }
    if (problem != null) {
      next.close();
      refuse(update, problem);
      return;
    }
    long loadMillis = (System.nanoTime() - start) / 1_000_000;
    // Every sentence queued before the update is analysed by the old pair.
    flushBundle();
    SentenceAnalyzer old = analyzer;
    List<String> oldIds = modelIds;
    install(next);
    servingFactory = nextFactory;
    updateId = id;
    updateTime = update.getCreatedAt();
    old.close();
    if (stateful) {
      resetLstmStates();
    }
    applied();
    LOG.info(
        "Model update {} applied: ELMo pair {} serves (biLM {}, heads {}) instead of {}; loaded and"
            + " validated in {} ms{}",
        id,
        modelIds,
        source,
        heads,
        oldIds,
        loadMillis,
        stateful ? "; every stream's LSTM state restarts from zero" : "");
  }

  @Override
  protected String servingDescription() {
    return "ELMo pair " + modelIds;
  }

  @Override
  protected String updateDetail(ModelUpdate update) {
    return "biLM " + (update.getElmoSource() == null ? "unchanged" : update.getElmoSource());
  }

  @Override
  public void snapshotState(StateSnapshotContext context) throws Exception {
    super.snapshotState(context);
    ElmoSource source = servingFactory.elmoSource();
    if (source == null) {
      pairState.update(List.of());
      return;
    }
    ElmoPairRecord r = new ElmoPairRecord();
    r.elmoOnnx = source.onnxPath();
    r.elmoOptions = source.optionsPath();
    r.elmoWeights = source.weightsPath();
    r.headsDir = canonical(servingFactory.headsDir());
    r.headsId = modelIds.size() > 1 ? modelIds.get(1) : String.join(",", modelIds);
    r.updateId = updateId;
    r.updateTime = updateTime;
    r.startElmo = startElmo;
    r.startHeadsDir = startHeadsDir;
    pairState.update(List.of(r));
  }

  @Override
  public void processElement(StreamRecord<TaggedEvent> element) throws Exception {
    TaggedEvent tagged = element.getValue();
    SegmentedEvent e = tagged.event;
    long timestamp = timestampOf(element);
    // Flushing changes the current key, so the tokens this element queues are counted (and may
    // trigger a flush) only once the element is done with its own key's state.
    int queued = 0;
    if (e.closedBefore != null) {
      // closedAt, not this event's time: the same whether a live timer or the next event (replay)
      // closed the sentence. First, before a fresh stream releases the state: the event that
      // comes after the TTL closes the expired stream's sentence, as the timers would have.
      queued += close(e.streamId, e.closedBefore, e.closedAt, e.closedAt);
    }
    if (e.freshStream) {
      release();
    }
    SegmentedToken[] tokens = e.tokens;
    for (int i = 0; i < tokens.length; i++) {
      SegmentedToken t = tokens[i];
      String realtime = tagged.tags != null && i < tagged.tags.length ? tagged.tags[i] : null;
      open.add(new OpenToken(t.text, t.position, e.seq, t.begin, t.end, t.sentenceIndex, realtime));
      if (t.sentenceEnd != null) {
        queued += close(e.streamId, t.sentenceEnd, e.eventTime, timestamp);
      }
    }
    if (e.endOfStream || e.expired) {
      release();
    }
    if (queued > 0) {
      bundled(queued);
    }
  }

  @Override
  public void close() throws Exception {
    try {
      if (analyzer != null) {
        analyzer.close();
        analyzer = null;
      }
    } finally {
      super.close();
    }
  }

  /** Moves the current stream's open sentence (if any) to the queue; returns its token count. */
  private int close(String streamId, SentenceEnd closedBy, long eventTime, long timestamp)
      throws Exception {
    List<OpenToken> tokens = new ArrayList<>();
    Iterable<OpenToken> stored = open.get();
    if (stored != null) {
      stored.forEach(tokens::add);
    }
    if (tokens.isEmpty()) {
      return 0;
    }
    open.clear();
    queue.add(
        new ClosedSentence(
            getCurrentKey(),
            streamId,
            tokens.toArray(new OpenToken[0]),
            closedBy,
            eventTime,
            timestamp));
    return tokens.size();
  }

  /**
   * Drops the current stream's open sentence and LSTM state. In stateful mode the stream's queued
   * sentences still need the state they were closed with, so they are flushed first.
   */
  private void release() throws Exception {
    if (stateful) {
      Object key = getCurrentKey();
      for (ClosedSentence s : queue) {
        if (s.key.equals(key)) {
          flushBundle();
          setCurrentKey(key);
          break;
        }
      }
      lstmState.clear();
    }
    open.clear();
  }

  /** Analyses and emits every queued sentence. See the class javadoc. */
  @Override
  protected void flush() throws Exception {
    if (queue.isEmpty()) {
      return;
    }
    SentenceResult[] results = new SentenceResult[queue.size()];
    if (stateful) {
      runStatefulRounds(results);
    } else {
      runBatches(queue, null, results);
    }
    for (int i = 0; i < queue.size(); i++) {
      emit(queue.get(i), results[i]);
    }
    queue.clear();
  }

  /**
   * Round r holds the r-th queued sentence of every stream, so a batch never has two sentences of
   * one stream and each sentence starts from its predecessor's final state.
   */
  private void runStatefulRounds(SentenceResult[] results) throws Exception {
    Map<Object, List<Integer>> byKey = new LinkedHashMap<>();
    for (int i = 0; i < queue.size(); i++) {
      byKey.computeIfAbsent(queue.get(i).key, k -> new ArrayList<>()).add(i);
    }
    Map<Object, float[]> states = new HashMap<>();
    for (Object key : byKey.keySet()) {
      setCurrentKey(key);
      float[] s = lstmState.value();
      states.put(
          key, s != null && s.length == analyzer.stateSize() ? s : new float[analyzer.stateSize()]);
    }
    for (int round = 0; ; round++) {
      List<ClosedSentence> members = new ArrayList<>();
      List<Integer> indices = new ArrayList<>();
      for (List<Integer> sentences : byKey.values()) {
        if (round < sentences.size()) {
          indices.add(sentences.get(round));
          members.add(queue.get(sentences.get(round)));
        }
      }
      if (members.isEmpty()) {
        break;
      }
      float[][] roundStates = new float[members.size()][];
      for (int i = 0; i < members.size(); i++) {
        roundStates[i] = states.get(members.get(i).key);
      }
      SentenceResult[] roundResults = new SentenceResult[members.size()];
      runBatches(members, roundStates, roundResults);
      for (int i = 0; i < members.size(); i++) {
        results[indices.get(i)] = roundResults[i];
      }
    }
    for (Map.Entry<Object, float[]> entry : states.entrySet()) {
      setCurrentKey(entry.getKey());
      lstmState.update(entry.getValue());
    }
  }

  /** Plans length-bucketed batches over {@code sentences} and runs each through the analyzer. */
  private void runBatches(
      List<ClosedSentence> sentences, float[][] states, SentenceResult[] results) throws Exception {
    for (int[] batch : buckets.plan(sentences.size(), i -> sentences.get(i).tokens.length)) {
      List<String[]> words = new ArrayList<>(batch.length);
      float[][] batchStates = states == null ? null : new float[batch.length][];
      for (int j = 0; j < batch.length; j++) {
        ClosedSentence s = sentences.get(batch[j]);
        String[] w = new String[s.tokens.length];
        for (int k = 0; k < w.length; k++) {
          w[k] = s.tokens[k].text;
        }
        words.add(w);
        if (states != null) {
          batchStates[j] = states[batch[j]];
        }
      }
      SentenceResult[] batchResults = new SentenceResult[batch.length];
      long start = System.nanoTime();
      analyzer.analyze(words, batchStates, embeddings, batchResults);
      recordCall(batch.length, start);
      for (int j = 0; j < batch.length; j++) {
        results[batch[j]] = batchResults[j];
      }
    }
  }

  private void emit(ClosedSentence s, SentenceResult r) {
    List<SentenceToken> tokens = new ArrayList<>(s.tokens.length);
    for (int i = 0; i < s.tokens.length; i++) {
      OpenToken t = s.tokens[i];
      String tag = tagLabels[r.tags[i]];
      boolean revised = t.realtimeTag != null && !t.realtimeTag.equals(tag);
      if (revised) {
        tagsRevised.inc();
      }
      tokens.add(
          SentenceToken.newBuilder()
              .setToken(t.text)
              .setPosition(t.position)
              .setSeq(t.seq)
              .setBegin(t.begin)
              .setEnd(t.end)
              .setTag(tag)
              .setProbability(r.tagProbabilities[i])
              .setRealtimeTag(t.realtimeTag)
              .setRevised(revised)
              .build());
    }
    Map<String, Float> probabilities = new LinkedHashMap<>();
    String best = null;
    float bestP = -1f;
    for (int k = 0; k < sentimentLabels.length && k < r.sentiment.length; k++) {
      probabilities.put(sentimentLabels[k], r.sentiment[k]);
      if (r.sentiment[k] > bestP) {
        bestP = r.sentiment[k];
        best = sentimentLabels[k];
      }
    }
    List<List<Float>> vectors = null;
    if (r.embeddings != null) {
      vectors = new ArrayList<>(r.embeddings.length);
      for (float[] v : r.embeddings) {
        List<Float> boxed = new ArrayList<>(v.length);
        for (float x : v) {
          boxed.add(x);
        }
        vectors.add(boxed);
      }
    }
    SentenceAnalysis analysis =
        SentenceAnalysis.newBuilder()
            .setStreamId(s.streamId)
            .setSentenceIndex(s.tokens[0].sentenceIndex)
            .setFirstSeq(s.tokens[0].seq)
            .setLastSeq(s.tokens[s.tokens.length - 1].seq)
            .setEventTime(s.eventTime)
            .setClosedBy(s.closedBy.name())
            .setTokens(tokens)
            .setSentiment(best)
            .setSentimentProbabilities(probabilities)
            .setModelIds(modelIds)
            .setEmbeddings(vectors)
            .build();
    emit(analysis, s.timestamp);
    sentencesAnalyzed.inc();
    tokensAnalyzed.inc(s.tokens.length);
  }

  /** Model updates applied since open; for tests. */
  long modelUpdatesApplied() {
    return appliedCount();
  }

  /** Model updates refused since open; for tests. */
  long modelUpdatesRefused() {
    return refusedCount();
  }

  /** The serving pair's model ids; for tests. */
  List<String> servingModelIds() {
    return modelIds;
  }

  /** Open-sentence tokens of {@code key} in keyed state; for tests. */
  List<OpenToken> openTokens(Object key) throws Exception {
    setCurrentKey(key);
    List<OpenToken> tokens = new ArrayList<>();
    Iterable<OpenToken> stored = open.get();
    if (stored != null) {
      stored.forEach(tokens::add);
    }
    return tokens;
  }

  /** Stored LSTM state of {@code key}; for tests. */
  float[] storedLstmState(Object key) throws Exception {
    setCurrentKey(key);
    return lstmState.value();
  }

  private static final class ClosedSentence {
    final Object key;
    final String streamId;
    final OpenToken[] tokens;
    final SentenceEnd closedBy;
    final long eventTime;
    final long timestamp;

    ClosedSentence(
        Object key,
        String streamId,
        OpenToken[] tokens,
        SentenceEnd closedBy,
        long eventTime,
        long timestamp) {
      this.key = key;
      this.streamId = streamId;
      this.tokens = tokens;
      this.closedBy = closedBy;
      this.eventTime = eventTime;
      this.timestamp = timestamp;
    }
  }

  /**
   * Builds a {@link SentenceElmo}; {@link #build()} checks the settings. Bundle defaults: {@link
   * #DEFAULT_MAX_BUNDLE_TOKENS}, {@link #DEFAULT_MAX_BATCH_SIZE}, {@link #DEFAULT_MAX_BATCH_TOKENS}
   * and a 20 ms {@code maxDelay}.
   */
  public static final class Builder extends BundlingBuilder<Builder> {
    private SentenceAnalyzer.Factory analyzer;
    private boolean stateful;
    private EmbeddingsMode embeddings = EmbeddingsMode.OFF;
    private BatchLimit maxBatchTokens = DEFAULT_MAX_BATCH_TOKENS;

    private Builder() {
      super(DEFAULT_MAX_BUNDLE_TOKENS, DEFAULT_MAX_BATCH_SIZE, Duration.ofMillis(20));
    }

    /** Makes the analyzer (ELMo + heads) in each subtask's {@code open()}. Required. */
    public Builder analyzer(SentenceAnalyzer.Factory factory) {
      this.analyzer = factory;
      return this;
    }

    /** Carry each stream's LSTM states from sentence to sentence (AllenNLP semantics). */
    public Builder stateful(boolean stateful) {
      this.stateful = stateful;
      return this;
    }

    /** Per-token embeddings in the output. Default {@link EmbeddingsMode#OFF}. */
    public Builder embeddings(EmbeddingsMode mode) {
      this.embeddings = mode;
      return this;
    }

    /**
     * At most {@code n} padded tokens (sentences × longest) per call, on every provider. Default
     * {@link #DEFAULT_MAX_BATCH_TOKENS}: 1024 on the CPU, 4096 on CUDA.
     */
    public Builder maxBatchTokens(int n) {
      return maxBatchTokens(BatchLimit.set(n));
    }

    /** The batch token limit, a default by provider or a set value; checked by build(). */
    public Builder maxBatchTokens(BatchLimit limit) {
      this.maxBatchTokens = limit;
      return this;
    }

    public SentenceElmo build() {
      List<String> problems = new ArrayList<>();
      if (analyzer == null) {
        problems.add("analyzer is not set: give it an ELMo + heads analyzer factory");
      }
      if (embeddings == null) {
        problems.add("embeddings mode is null: use OFF, MIXED or ALL");
      }
      checkBundling(problems);
      BatchLimit.check("maxBatchTokens", maxBatchTokens, problems);
      if (!problems.isEmpty()) {
        throw new IllegalArgumentException(
            "SentenceElmo is not configured right:\n  - " + String.join("\n  - ", problems));
      }
      return new SentenceElmo(this);
    }
  }

  @Override
  public String toString() {
    return "SentenceElmo{" + (stateful ? "stateful" : "stateless") + ", " + embeddings + "}";
  }
}
