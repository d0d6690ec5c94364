package dev.rillet.recurrent;

import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.TensorInfo;
import dev.rillet.bundle.BundlingOperator;
import dev.rillet.onnx.RecurrentModelPackage;
import dev.rillet.onnx.SharedCache;
import dev.rillet.onnx.SharedOrt;
import dev.rillet.onnx.Vocabulary;
import dev.rillet.segment.SegmentedEvent;
import dev.rillet.segment.SegmentedToken;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.apache.flink.api.common.operators.MailboxExecutor;
import org.apache.flink.api.common.state.ListState;
import org.apache.flink.api.common.state.ListStateDescriptor;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.Histogram;
import org.apache.flink.runtime.execution.SuppressRestartsException;
import org.apache.flink.runtime.metrics.DescriptiveStatisticsHistogram;
import org.apache.flink.runtime.state.StateInitializationContext;
import org.apache.flink.runtime.state.StateSnapshotContext;
import org.apache.flink.runtime.state.VoidNamespace;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;

/**
 * Keyed (by streamId), bundled operator that advances a recurrent model through each token, with
 * each stream's hidden state in Flink keyed state, and emits a {@link TaggedEvent} for every {@link
 * SegmentedEvent}.
 *
 * <p><b>Bundling.</b> Incoming events are buffered per stream. The bundle is flushed when it holds
 * {@code maxBundleTokens} tokens, when the processing-time {@code maxDelay} after its first element
 * passes, in {@link #prepareSnapshotPreBarrier} (so the buffer never needs checkpointing), before a
 * watermark is forwarded, and in {@link #finish()}. A flush reads each bundled stream's state once,
 * then runs rounds: every stream with a pending token contributes to the round, either one step as
 * a row of a {@code [B,1]} call (rows of up to {@code maxBatchSize} streams per call) or, when the
 * rest of its current event is a long run, one {@code [1,T]} chunk of up to {@code maxChunkTokens}
 * of its tokens in a call of its own. So one call never holds two streams' chunks or two steps of
 * one stream, a stream's k-th token waits for its (k-1)-th, and per-stream order is kept. A
 * stream's outputs depend only on its own tokens, never on the bundle's composition or on where
 * chunk boundaries fall (a chunk computes what its single steps would, within float rounding).
 *
 * <p><b>Long events.</b> A run is long when its event still has more tokens than the round has
 * streams: then batching across streams would leave it stepping alone, one call per token, after
 * the others are done, while one {@code [1,T]} call pays the per-call cost once per chunk. A huge
 * event (a 1 MB text of 200,000 tokens) must not hold up the other streams either, so the size and
 * delay triggers run only part of the bundle: every short stream's tokens and at most one chunk of
 * each long run. What is left stays in the bundle, with its state in memory, and the operator
 * continues it through the task's mailbox once the input is quiet (see {@link #continueLongRuns}),
 * so the input records that arrived meanwhile (other streams' short events) are read and tagged
 * between two chunks: another stream waits at most its bundle delay plus one part. Watermarks that
 * arrive meanwhile are held back until the long event is done (see {@link BundlingOperator}); the
 * checkpoint barrier and {@link #finish()} still run everything. {@code maxChunkTokens} 1 turns
 * chunking off: every token is a {@code [B,1]} step and every flush runs its whole bundle, as
 * before chunking existed.
 *
 * <p><b>Lifecycle of a stream's state.</b> Created fresh on the stream's first event (or when the
 * segmenter says {@code freshStream}), released after an end-of-stream event or an expiry marker
 * from the segmenter (which owns the event-time TTL). State written by another model id is not
 * continued: the stream restarts from zero state and {@code stateResetsOnModelChange} counts it.
 *
 * <p><b>Restoring with another model.</b> The operator state records the model id of every
 * snapshot. Restoring a checkpoint or savepoint whose streams were tagged by another model fails
 * the job once, without restarts, with a {@link RestoredModelMismatchException} that names both ids
 * and the fix: a hidden state is meaningful only to the model that wrote it.
 *
 * <p><b>Model.</b> Loaded in {@link #open()} from a model package directory through {@link
 * SharedOrt}, so all subtasks in a TaskManager share one ONNX session; the package's manifest is
 * validated against the ONNX graph there.
 */
public final class RecurrentTagger extends BundlingOperator<SegmentedEvent, TaggedEvent> {
  private static final long serialVersionUID = 1L;

  static final String STATE_NAME = "recurrent-state";
  static final String MODEL_STATE_NAME = "recurrent-model";

  private final String modelDir;
  private final int maxBatchSize;
  private final int maxChunkTokens;
  private final int intraOpThreads;

  private transient SharedCache.Lease<RecurrentModelPackage> lease;
  private transient RecurrentStepRunner runner;
  private transient Vocabulary vocabulary;
  private transient String modelId;
  private transient String[] tagLabels;
  private transient String[] sentimentLabels;
  private transient ValueState<RecurrentState> state;
  private transient ListState<String> modelState;
  private transient List<String> restoredModelIds;

  /** Streams in the bundle, in order of first arrival (keeps flushes deterministic). */
  private transient Map<Object, StreamSlot> bundle;

  /** Slots stepping one token as a batch row in the current round; reused. */
  private transient List<StreamSlot> round;

  /** Slots stepping a {@code [1,T]} chunk in the current round; reused. */
  private transient List<StreamSlot> chunks;

  /**
   * The longest chunk: {@code maxChunkTokens}, or 1 when the model's graph fixes T to 1 (it cannot
   * take a chunk).
   */
  private transient int chunkTokens;

  /** True while a part flush has left long runs in the bundle (see the class javadoc). */
  private transient boolean unfinished;

  /** Runs the continuation of long runs between input records; the task's own mailbox. */
  private transient MailboxExecutor mailbox;

  private transient boolean continuationPending;

  /** An input record arrived since the last part flush or continuation mail. */
  private transient boolean inputArrived;

  private transient StreamRecord<TaggedEvent> reuse;

  private transient Counter tokensProcessed;
  private transient Counter stateResets;
  private transient Histogram batchSizes;
  private transient Histogram chunkLengths;
  private transient Histogram inferenceMicros;
  private transient long activeStreams;

  private RecurrentTagger(Builder b) {
    super(b.maxBundleTokens, b.maxDelay);
    this.modelDir = b.modelDir.toString();
    this.maxBatchSize = b.maxBatchSize;
    this.maxChunkTokens = b.maxChunkTokens;
    this.intraOpThreads = b.intraOpThreads;
  }

  public static Builder builder() {
    return new Builder();
  }

  @Override
  public void initializeState(StateInitializationContext context) throws Exception {
    super.initializeState(context);
    // Union state: after a rescale every subtask sees the model ids of all old subtasks.
    modelState =
        context
            .getOperatorStateStore()
            .getUnionListState(new ListStateDescriptor<>(MODEL_STATE_NAME, String.class));
    restoredModelIds = new ArrayList<>();
    if (context.isRestored()) {
      modelState.get().forEach(restoredModelIds::add);
    }
  }

  @Override
  public void open() throws Exception {
    super.open();
    lease = SharedOrt.acquire(Path.of(modelDir), intraOpThreads);
    RecurrentModelPackage model = lease.get();
    vocabulary = model.vocabulary();
    modelId = model.modelId();
    for (String restored : restoredModelIds) {
      if (!restored.equals(modelId)) {
        // Restarting would restore the same state and fail the same way: fail the job once.
        throw new SuppressRestartsException(
            new RestoredModelMismatchException(restored, modelId, modelDir));
      }
    }
    tagLabels = model.tagLabels().toArray(new String[0]);
    sentimentLabels = model.sentimentLabels().toArray(new String[0]);
    chunkTokens = takesRuns(model) ? maxChunkTokens : 1;
    runner =
        new RecurrentStepRunner(
            OrtEnvironment.getEnvironment(),
            model.session(),
            model.tokenIdsInput(),
            model.stateInputs().toArray(new String[0]),
            model.stateOutputs().toArray(new String[0]),
            model.tagLogitsOutput(),
            model.sentimentLogitsOutput(),
            model.layers(),
            model.hidden(),
            tagLabels.length,
            sentimentLabels.length,
            maxBatchSize,
            chunkTokens);
    // The operator's chain index is the priority its mails run at (as for yielding operators).
    mailbox =
        getContainingTask()
            .getMailboxExecutorFactory()
            .createExecutor(getOperatorConfig().getChainIndex());

    state =
        getPartitionedState(
            new ValueStateDescriptor<>(STATE_NAME, RecurrentStateSerializer.INSTANCE));
    bundle = new LinkedHashMap<>();
    round = new ArrayList<>(maxBatchSize);
    chunks = new ArrayList<>();
    reuse = new StreamRecord<>(null);

    tokensProcessed = getMetricGroup().counter("tokensProcessed");
    stateResets = getMetricGroup().counter("stateResetsOnModelChange");
    batchSizes = getMetricGroup().histogram("batchSize", new DescriptiveStatisticsHistogram(1000));
    chunkLengths =
        getMetricGroup().histogram("chunkLength", new DescriptiveStatisticsHistogram(1000));
    inferenceMicros =
        getMetricGroup()
            .histogram("inferenceLatencyMicros", new DescriptiveStatisticsHistogram(1000));
    try (var keys = getKeyedStateBackend().getKeys(STATE_NAME, VoidNamespace.INSTANCE)) {
      activeStreams = keys.count();
    }
    getMetricGroup().gauge("activeStreams", () -> activeStreams);
  }

  @Override
  public void processElement(StreamRecord<SegmentedEvent> element) throws Exception {
    SegmentedEvent event = element.getValue();
    Object key = getCurrentKey();
    StreamSlot slot = bundle.get(key);
    if (slot == null) {
      slot = new StreamSlot(key);
      bundle.put(key, slot);
    }
    slot.queue.add(
        new PendingEvent(event, element.hasTimestamp() ? element.getTimestamp() : Long.MIN_VALUE));
    inputArrived = true;
    // A token-less event (close marker, empty end of stream) still occupies the bundle: count it,
    // or a bundle of markers would wait for the delay timer.
    bundled(Math.max(1, event.tokens.length));
  }

  @Override
  public void snapshotState(StateSnapshotContext context) throws Exception {
    super.snapshotState(context);
    modelState.update(List.of(modelId));
  }

  @Override
  public void close() throws Exception {
    try {
      if (runner != null) {
        runner.close();
        runner = null;
      }
      if (lease != null) {
        lease.close();
        lease = null;
      }
    } finally {
      super.close();
    }
  }

  /**
   * True when the model's token ids input takes more than one step per call: its T dimension is
   * dynamic or larger than 1. A graph exported with T fixed to 1 still works, one step per call.
   */
  private static boolean takesRuns(RecurrentModelPackage model) throws OrtException {
    TensorInfo ids =
        (TensorInfo) model.session().getInputInfo().get(model.tokenIdsInput()).getInfo();
    long steps = ids.getShape()[1];
    return steps < 0 || steps > 1;
  }

  /** Processes everything in the bundle. See the class javadoc for the round structure. */
  @Override
  protected void flush() throws Exception {
    run(false);
  }

  /** Processes every short run in the bundle and at most one chunk of each long run. */
  @Override
  protected void flushPart() throws Exception {
    inputArrived = false;
    run(true);
    if (unfinished) {
      continueLater();
    }
  }

  private void continueLater() {
    if (!continuationPending) {
      continuationPending = true;
      mailbox.execute(this::continueLongRuns, "RecurrentTagger: next chunk of a long event");
    }
  }

  @Override
  protected boolean unfinished() {
    return unfinished;
  }

  /**
   * A mail: the next part of the long runs once the input is quiet. The task runs one input record
   * between two mails, so running a chunk in every mail would let the long event take one chunk per
   * record of the other streams and starve them (a burst of 20 queued short events would wait 20
   * chunks). While records keep arriving, the mail only steps aside; the long run then advances
   * with the bundle's own size and delay flushes (the other streams' bundle plus one chunk), and
   * chunk after chunk once the input has nothing waiting.
   */
  private void continueLongRuns() throws Exception {
    continuationPending = false;
    // A full flush (checkpoint, finish) may have run the rest already, or the operator closed.
    if (!unfinished || runner == null) {
      return;
    }
    if (inputArrived) {
      inputArrived = false;
      continueLater();
    } else {
      flushBundlePart();
    }
  }

  /**
   * Runs rounds over the bundle (see the class javadoc). With {@code part}, a stream that stepped a
   * chunk takes no further part in this call: its rest stays in the bundle, state in memory.
   */
  private void run(boolean part) throws Exception {
    unfinished = false;
    if (bundle.isEmpty()) {
      return;
    }
    for (StreamSlot slot : bundle.values()) {
      if (!slot.loaded) {
        setCurrentKey(slot.key);
        slot.state = state.value();
        slot.hadState = slot.state != null;
        slot.loaded = true;
      }
      slot.chunked = false;
    }
    while (true) {
      round.clear();
      chunks.clear();
      for (StreamSlot slot : bundle.values()) {
        if (advanceToNextToken(slot) && !(part && slot.chunked)) {
          round.add(slot);
        }
      }
      if (round.isEmpty()) {
        break;
      }
      if (chunkTokens > 1) {
        int streams = round.size();
        int kept = 0;
        for (StreamSlot slot : round) {
          PendingEvent head = slot.queue.peek();
          if (head.event.tokens.length - head.next > streams) {
            chunks.add(slot);
          } else {
            round.set(kept++, slot);
          }
        }
        round.subList(kept, streams).clear();
      }
      for (int from = 0; from < round.size(); from += maxBatchSize) {
        step(from, Math.min(round.size(), from + maxBatchSize));
      }
      for (StreamSlot slot : chunks) {
        chunk(slot);
        slot.chunked = true;
      }
    }
    for (Iterator<StreamSlot> it = bundle.values().iterator(); it.hasNext(); ) {
      StreamSlot slot = it.next();
      if (!slot.queue.isEmpty()) {
        // Only a part flush leaves work: a long run that had its chunk. Keep slot and state.
        unfinished = true;
        continue;
      }
      setCurrentKey(slot.key);
      if (slot.state == null) {
        if (slot.hadState) {
          state.clear();
        }
      } else {
        state.update(slot.state);
      }
      it.remove();
    }
  }

  /**
   * Emits the slot's finished events and starts the next ones until the head event has a token
   * waiting for a step. Returns false when the slot has nothing left to step.
   */
  private boolean advanceToNextToken(StreamSlot slot) {
    while (!slot.queue.isEmpty()) {
      PendingEvent head = slot.queue.peek();
      if (!head.started) {
        begin(slot, head);
      }
      if (head.next < head.event.tokens.length) {
        return true;
      }
      slot.queue.poll();
      end(slot, head);
    }
    return false;
  }

  private void begin(StreamSlot slot, PendingEvent p) {
    p.started = true;
    SegmentedEvent e = p.event;
    if (e.isCloseMarker()) {
      return;
    }
    if (slot.state == null || e.freshStream) {
      if (slot.state == null) {
        activeStreams++;
        slot.state = RecurrentState.fresh(modelId, runner.packedStateSize());
      } else {
        slot.state.reset(modelId, runner.packedStateSize());
      }
    } else if (!modelId.equals(slot.state.modelId)
        || slot.state.tensors == null
        || slot.state.tensors.length != runner.packedStateSize()) {
      stateResets.inc();
      slot.state.reset(modelId, runner.packedStateSize());
    }
    slot.state.lastSeq = e.seq;
    slot.state.lastActivity = e.eventTime;
  }

  private void end(StreamSlot slot, PendingEvent p) {
    SegmentedEvent e = p.event;
    long seen = slot.state == null ? 0 : slot.state.nextPosition;
    reuse.replace(
        new TaggedEvent(
            e, p.tags, p.tagProbabilities, p.sentiment, sentimentLabels, seen, modelId));
    if (p.timestamp == Long.MIN_VALUE) {
      reuse.eraseTimestamp();
    } else {
      reuse.setTimestamp(p.timestamp);
    }
    output.collect(reuse);
    if ((e.endOfStream || e.expired) && slot.state != null) {
      slot.state = null;
      activeStreams--;
    }
  }

  /** One ONNX call over {@code round[from, to)}: one token step for each of those streams. */
  private void step(int from, int to) throws OrtException {
    int b = to - from;
    for (int row = 0; row < b; row++) {
      StreamSlot slot = round.get(from + row);
      PendingEvent p = slot.queue.peek();
      SegmentedToken token = p.event.tokens[p.next];
      runner.setToken(row, vocabulary.id(token.text));
      runner.putState(b, row, slot.state.tensors);
    }
    long start = System.nanoTime();
    runner.run(b);
    inferenceMicros.update((System.nanoTime() - start) / 1000);
    batchSizes.update(b);
    tokensProcessed.inc(b);
    for (int row = 0; row < b; row++) {
      StreamSlot slot = round.get(from + row);
      PendingEvent p = slot.queue.peek();
      runner.getState(b, row, slot.state.tensors);
      int i = p.next++;
      p.tags[i] = tagLabels[runner.bestTag(row, p.tagProbabilities, i)];
      slot.state.nextPosition++;
      if (p.next == p.event.tokens.length && p.sentiment.length > 0) {
        runner.sentimentSoftmax(row, p.sentiment);
      }
    }
  }

  /**
   * One {@code [1,T]} call over the next {@code T <= chunkTokens} tokens of the slot's head event,
   * from and back into the slot's state.
   */
  private void chunk(StreamSlot slot) throws OrtException {
    PendingEvent p = slot.queue.peek();
    SegmentedToken[] tokens = p.event.tokens;
    int first = p.next;
    int steps = Math.min(chunkTokens, tokens.length - first);
    for (int t = 0; t < steps; t++) {
      runner.setChunkToken(t, vocabulary.id(tokens[first + t].text));
    }
    runner.putState(1, 0, slot.state.tensors);
    long start = System.nanoTime();
    runner.runChunk(steps);
    inferenceMicros.update((System.nanoTime() - start) / 1000);
    batchSizes.update(1);
    chunkLengths.update(steps);
    tokensProcessed.inc(steps);
    runner.getState(1, 0, slot.state.tensors);
    for (int t = 0; t < steps; t++) {
      p.tags[first + t] = tagLabels[runner.bestTag(t, p.tagProbabilities, first + t)];
    }
    p.next = first + steps;
    slot.state.nextPosition += steps;
    if (p.next == tokens.length && p.sentiment.length > 0) {
      // Sentiment is read after the event's last token: the chunk's last step.
      runner.sentimentSoftmax(steps - 1, p.sentiment);
    }
  }

  /** Reads the stored state of {@code key}; for tests. */
  RecurrentState storedState(Object key) throws Exception {
    setCurrentKey(key);
    return state.value();
  }

  private final class StreamSlot {
    final Object key;
    final ArrayDeque<PendingEvent> queue = new ArrayDeque<>(4);
    RecurrentState state;
    boolean hadState;

    /** {@link #state} was read from keyed state; it stays in memory while the slot is bundled. */
    boolean loaded;

    /** Stepped a chunk in the current part flush. */
    boolean chunked;

    StreamSlot(Object key) {
      this.key = key;
    }
  }

  private final class PendingEvent {
    final SegmentedEvent event;
    final long timestamp;
    final String[] tags;
    final float[] tagProbabilities;
    final float[] sentiment;
    int next;
    boolean started;

    PendingEvent(SegmentedEvent event, long timestamp) {
      this.event = event;
      this.timestamp = timestamp;
      int n = event.tokens.length;
      this.tags = new String[n];
      this.tagProbabilities = new float[n];
      this.sentiment = new float[n > 0 ? sentimentLabels.length : 0];
    }
  }

  /** Builds a {@link RecurrentTagger}; {@link #build()} checks the settings. */
  public static final class Builder {
    private Path modelDir;
    private int maxBundleTokens = 256;
    private int maxBatchSize = 64;
    private int maxChunkTokens = 256;
    private Duration maxDelay = Duration.ofMillis(5);
    private int intraOpThreads = 1;

    private Builder() {}

    /** The model package directory (holding manifest.json). Required. */
    public Builder modelDir(Path modelDir) {
      this.modelDir = modelDir;
      return this;
    }

    /** Flush the bundle once it holds this many tokens. Default 256. */
    public Builder maxBundleTokens(int n) {
      this.maxBundleTokens = n;
      return this;
    }

    /** At most this many streams' steps in one ONNX call. Default 64. */
    public Builder maxBatchSize(int n) {
      this.maxBatchSize = n;
      return this;
    }

    /**
     * At most this many tokens of one stream's long run in one {@code [1,T]} call. Default 256; 1
     * turns chunking off (every token a {@code [B,1]} step, every flush runs its whole bundle).
     */
    public Builder maxChunkTokens(int n) {
      this.maxChunkTokens = n;
      return this;
    }

    /** Flush at the latest this long (processing time) after the bundle's first element. */
    public Builder maxDelay(Duration d) {
      this.maxDelay = d;
      return this;
    }

    /** ONNX Runtime intra-op threads of the shared session. Default 1. */
    public Builder intraOpThreads(int n) {
      this.intraOpThreads = n;
      return this;
    }

    public RecurrentTagger build() {
      List<String> problems = new ArrayList<>();
      if (modelDir == null) {
        problems.add(
            "modelDir is not set: point it at a model package folder (with manifest.json)");
      } else if (!Files.isRegularFile(modelDir.resolve("manifest.json"))) {
        problems.add(
            "modelDir "
                + modelDir.toAbsolutePath()
                + " holds no manifest.json: point it at a model package folder such as models/demo-gru");
      }
      if (maxBundleTokens < 1) {
        problems.add("maxBundleTokens must be >= 1, got " + maxBundleTokens);
      }
      if (maxBatchSize < 1) {
        problems.add("maxBatchSize must be >= 1, got " + maxBatchSize);
      }
      if (maxChunkTokens < 1) {
        problems.add("maxChunkTokens must be >= 1, got " + maxChunkTokens);
      }
      if (maxDelay == null || maxDelay.isNegative()) {
        problems.add("maxDelay must be a non-negative duration, got " + maxDelay);
      }
      if (intraOpThreads < 1) {
        problems.add("intraOpThreads must be >= 1, got " + intraOpThreads);
      }
      if (!problems.isEmpty()) {
        throw new IllegalArgumentException(
            "RecurrentTagger is not configured right:\n  - " + String.join("\n  - ", problems));
      }
      return new RecurrentTagger(this);
    }
  }

  @Override
  public String toString() {
    return "RecurrentTagger{" + Objects.toString(modelDir) + "}";
  }
}
