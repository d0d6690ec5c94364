package dev.rillet.recurrent;

import ai.onnxruntime.OrtException;
import dev.rillet.avro.ModelUpdate;
import dev.rillet.avro.ModelUpdatePolicy;
import dev.rillet.avro.ModelUpdateTarget;
import dev.rillet.bundle.BatchLimit;
import dev.rillet.bundle.BundlingBuilder;
import dev.rillet.bundle.BundlingOperator;
import dev.rillet.bundle.ModelControlledOperator;
import dev.rillet.onnx.ExecutionProvider;
import dev.rillet.onnx.ModelPackageException;
import dev.rillet.onnx.OrtSettings;
import dev.rillet.onnx.SharedOrt;
import dev.rillet.segment.SegmentedEvent;
import dev.rillet.segment.SegmentedToken;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import org.apache.flink.annotation.PublicEvolving;
import org.apache.flink.api.common.operators.MailboxExecutor;
import org.apache.flink.api.common.state.ListState;
import org.apache.flink.api.common.state.ListStateDescriptor;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeinfo.BasicArrayTypeInfo;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeutils.TypeSerializer;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.Histogram;
import org.apache.flink.runtime.execution.SuppressRestartsException;
import org.apache.flink.runtime.state.StateInitializationContext;
import org.apache.flink.runtime.state.StateSnapshotContext;
import org.apache.flink.runtime.state.VoidNamespace;
import org.apache.flink.runtime.state.VoidNamespaceSerializer;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

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
 * from the segmenter (which owns the event-time TTL). State written by a model that is no longer
 * loaded is not continued: at the stream's next event with tokens it restarts from zero state on
 * the active model, its positions continue, the event is marked {@link TaggedEvent#modelSwitched}
 * and {@code stateResetsOnModelChange} counts it.
 *
 * <p><b>Model updates.</b> As a two-input operator the tagger takes {@link ModelUpdate}s on its
 * second input (the model-control topic, broadcast to every subtask); as a one-input operator (no
 * control topic wired: evaluation, benchmarks) it serves its {@code --model} only. An update is
 * applied where it stands in the subtask's input: the package is loaded and validated synchronously
 * in {@link #processElement2}, then the bundle is flushed on the old model, then the new one serves
 * every event that comes after the update. Loading on the task thread stalls the subtask once for
 * the load time (tens to hundreds of milliseconds for the shipped packages; see
 * docs/operations.md), which updates, rare by nature, can afford; loading in the background and
 * switching "when ready" would put the switch at a point that depends on timing, not on the input.
 * Updates whose target is not {@code TAGGER} (the sentence stage's ELMo) are ignored without a log
 * line. A package that cannot be loaded, is invalid, or is not the model the update names is
 * refused: a log line names the problem, {@code modelUpdatesRefused} counts it, the old model keeps
 * serving. Policies (per update): {@code RESET} moves every stream to the new model at its next
 * event (see above; older models are released at once); {@code DRAIN} lets a stream that has state
 * on an older model keep it until it ends or expires, while new streams start on the new model; the
 * older model stays loaded until its last stream is gone. {@code streams} in the metric group
 * {@code model=<id>} counts the stream states per model id. {@code REPLAY} works like RESET, except
 * that the zero state is first run through the stream's last {@code replayTokens} tokens (kept in
 * keyed state for this purpose only when {@code replayTokens > 0}; without them REPLAY is refused),
 * so its tags continue with that context.
 *
 * <p><b>Restoring.</b> The operator state records the loaded models ({@link ModelRecord}: id,
 * package folder, role, the update that installed it, the model the job was started with) and, as
 * before model updates existed, the active model id. On restore the active model is: the restored
 * one when {@code --model} is that model; the restored one, loaded from its recorded folder, when
 * it was installed by an update and {@code --model} is the model the job was started with (a
 * failover, or a restart with the unchanged command line); anything else fails the job once,
 * without restarts, with a {@link RestoredModelMismatchException} that names both ids and the fix:
 * a hidden state is meaningful only to the model that wrote it. A draining model whose folder is
 * gone is not loaded; its streams restart on the active model at their next event.
 *
 * <p><b>Model.</b> Loaded from a model package directory through {@link SharedOrt}, so all subtasks
 * in a TaskManager share one ONNX session per package; the package's manifest is validated against
 * the ONNX graph there.
 *
 * <p><b>Sizes.</b> {@code maxBatchSize} and {@code maxBundleTokens} default by the execution
 * provider the model runs on ({@link #DEFAULT_MAX_BATCH_SIZE}, {@link #DEFAULT_MAX_BUNDLE_TOKENS}),
 * picked in {@link #open()} where the model runs; a value set on the builder holds on both. The
 * sizes in use are the gauges {@code maxBatchSize} and {@code maxBundleTokens} and are logged once
 * per subtask.
 */
@PublicEvolving
public final class RecurrentTagger extends ModelControlledOperator<SegmentedEvent, TaggedEvent> {
  private static final long serialVersionUID = 1L;

  static final String STATE_NAME = "recurrent-state";
  static final String MODEL_STATE_NAME = "recurrent-model";
  static final String MODELS_STATE_NAME = "recurrent-models";
  static final String RECENT_STATE_NAME = "recurrent-recent-tokens";

  private static final Logger LOG = LoggerFactory.getLogger(RecurrentTagger.class);

  /**
   * Streams per ONNX call unless set: a GPU call costs about the same for 4x the rows, a CPU call
   * grows with them and only adds to the bundle's latency.
   */
  public static final BatchLimit DEFAULT_MAX_BATCH_SIZE = BatchLimit.byProvider(64, 256);

  /** Tokens per bundle unless set: 4x on CUDA, so that a bundle can fill the larger batches. */
  public static final BatchLimit DEFAULT_MAX_BUNDLE_TOKENS = BatchLimit.byProvider(256, 1024);

  private final String modelDir;
  private final int maxChunkTokens;
  private final OrtSettings ortSettings;
  private final int replayTokens;

  /** {@link RecurrentStateSerializer}, or an older layout's serializer in migration tests. */
  private final TypeSerializer<RecurrentState> stateSerializer;

  /** The policy of the update that installed the active model (RESET for the job's --model). */
  private transient ModelUpdatePolicy switchPolicy;

  /** Each stream's last {@link #replayTokens} token texts; null when replayTokens is 0. */
  private transient ValueState<String[]> recentState;

  private transient Counter replayedTokens;

  /** The model serving new streams (and every stream after a RESET). */
  private transient ModelRuntime active;

  /** Older models kept for the streams still on them (policy DRAIN), by model id. */
  private transient Map<String, ModelRuntime> draining;

  /** The id of the model the job was first started with, carried through snapshots. */
  private transient String startModelId;

  /** Stream states per model id that wrote them (the {@code streams} gauges). */
  private transient Map<String, Long> streamsPerModel;

  private transient Set<String> modelGauges;
  private transient ValueState<RecurrentState> state;
  private transient ListState<String> modelState;
  private transient ListState<ModelRecord> modelsState;
  private transient List<String> restoredModelIds;
  private transient List<ModelRecord> restoredModels;

  /** Streams in the bundle, in order of first arrival (keeps flushes deterministic). */
  private transient Map<Object, StreamSlot> bundle;

  /** Slots stepping one token as a batch row in the current round; reused. */
  private transient List<StreamSlot> round;

  /** Slots stepping a {@code [1,T]} chunk in the current round; reused. */
  private transient List<StreamSlot> chunks;

  /** True while a part flush has left long runs in the bundle (see the class javadoc). */
  private transient boolean unfinished;

  /** Runs the continuation of long runs between input records; the task's own mailbox. */
  private transient MailboxExecutor mailbox;

  private transient boolean continuationPending;

  /** An input record arrived since the last part flush or continuation mail. */
  private transient boolean inputArrived;

  private transient Counter tokensProcessed;
  private transient Counter stateResets;
  private transient Histogram chunkLengths;
  private transient long lastSwapMillis;
  private transient long activeStreams;

  /** Rows of one model in the current round; reused. */
  private transient List<StreamSlot> batch;

  private RecurrentTagger(Builder b) {
    super(ModelUpdateTarget.TAGGER, b);
    this.modelDir = b.modelDir.toString();
    this.maxChunkTokens = b.maxChunkTokens;
    this.ortSettings = new OrtSettings(b.intraOpThreads, b.executionProvider);
    this.replayTokens = b.replayTokens;
    this.stateSerializer = b.stateSerializer;
  }

  public static Builder builder() {
    return new Builder();
  }

  @Override
  public void initializeState(StateInitializationContext context) throws Exception {
    super.initializeState(context);
    restoredModelIds = new ArrayList<>();
    restoredModels = new ArrayList<>();
    modelState =
        unionState(
            context, new ListStateDescriptor<>(MODEL_STATE_NAME, String.class), restoredModelIds);
    modelsState =
        unionState(
            context,
            new ListStateDescriptor<>(MODELS_STATE_NAME, TypeInformation.of(ModelRecord.class)),
            restoredModels);
  }

  @Override
  public void open() throws Exception {
    super.open();
    draining = new LinkedHashMap<>();
    streamsPerModel = new HashMap<>();
    modelGauges = new HashSet<>();
    ModelRuntime flag = load(Path.of(modelDir));
    try {
      active = restoreActive(flag);
    } finally {
      if (active != flag) {
        flag.close();
      }
    }
    // The operator's chain index is the priority its mails run at (as for yielding operators).
    mailbox =
        getContainingTask()
            .getMailboxExecutorFactory()
            .createExecutor(getOperatorConfig().getChainIndex());

    state = getPartitionedState(stateDescriptor());
    if (replayTokens > 0) {
      recentState =
          getPartitionedState(
              new ValueStateDescriptor<>(
                  RECENT_STATE_NAME, BasicArrayTypeInfo.STRING_ARRAY_TYPE_INFO));
    }
    bundle = new LinkedHashMap<>();
    round = new ArrayList<>(batchSize());
    batch = new ArrayList<>(batchSize());
    chunks = new ArrayList<>();

    tokensProcessed = getMetricGroup().counter("tokensProcessed");
    stateResets = getMetricGroup().counter("stateResetsOnModelChange");
    replayedTokens = getMetricGroup().counter("replayedTokens");
    getMetricGroup().gauge("modelSwapMillis", () -> lastSwapMillis);
    chunkLengths = histogram("chunkLength");
    countRestoredStreams();
    getMetricGroup().gauge("activeStreams", () -> activeStreams);
    registerModelGauge(active.modelId);
    // An info metric (value 1): the provider is its label, e.g. executionProvider="cuda".
    getMetricGroup()
        .addGroup("executionProvider", executionProvider().label())
        .gauge("onnxExecutionProvider", () -> 1);
    logSizes();
  }

  @Override
  protected ExecutionProvider resolveExecutionProvider() {
    return ortSettings.resolve();
  }

  /** The descriptor of the streams' {@link RecurrentState}. */
  private ValueStateDescriptor<RecurrentState> stateDescriptor() {
    return new ValueStateDescriptor<>(STATE_NAME, stateSerializer);
  }

  private ModelRuntime load(Path dir) {
    return ModelRuntime.open(dir, ortSettings, batchSize(), maxChunkTokens);
  }

  /**
   * The model to serve after a restore, by the rules in the class javadoc; {@code flag} (the job's
   * --model, loaded) when there is nothing restored. Also loads the restored draining models.
   */
  private ModelRuntime restoreActive(ModelRuntime flag) {
    startModelId = flag.modelId;
    switchPolicy = ModelUpdatePolicy.RESET;
    ModelRecord restored =
        latest(
            restoredModels.stream().filter(ModelRecord::isActive),
            r -> r.updateTime,
            r -> r.modelId);
    if (restored == null) {
      // Fresh, or a snapshot from before model updates: every model id in it must be --model's.
      for (String id : restoredModelIds) {
        if (!id.equals(flag.modelId)) {
          // Restarting would restore the same state and fail the same way: fail the job once.
          throw new SuppressRestartsException(
              new RestoredModelMismatchException(id, flag.modelId, modelDir));
        }
      }
      return flag;
    }
    startModelId = restored.startModelId;
    if (restored.policy != null) {
      switchPolicy = ModelUpdatePolicy.valueOf(restored.policy);
    }
    ModelRuntime serving;
    if (restored.modelId.equals(flag.modelId)) {
      serving = flag;
    } else if (restored.updateId != null && flag.modelId.equals(restored.startModelId)) {
      try {
        serving = load(Path.of(restored.packageDir));
      } catch (ModelPackageException e) {
        throw new ModelPackageException(
            "the restored state is on model "
                + restored.modelId
                + ", installed by model update "
                + restored.updateId
                + " from "
                + restored.packageDir
                + ", and that package cannot be loaded: "
                + e.getMessage()
                + ". Put the package back at that path on every TaskManager, or restart with"
                + " --model set to a copy of it",
            e);
      }
      if (!serving.modelId.equals(restored.modelId)) {
        String found = serving.modelId;
        serving.close();
        throw new SuppressRestartsException(
            new RestoredModelMismatchException(restored.modelId, found, restored.packageDir));
      }
      LOG.info(
          "Continuing on model {} (installed by model update {} from {}), not on --model {}: the"
              + " restored state was written after that update",
          restored.modelId,
          restored.updateId,
          restored.packageDir,
          flag.modelId);
    } else {
      throw new SuppressRestartsException(
          new RestoredModelMismatchException(
              restored.modelId,
              flag.modelId,
              modelDir,
              restored.updateId,
              restored.packageDir,
              restored.startModelId));
    }
    serving.updateId = restored.updateId;
    serving.updateTime = restored.updateTime;
    for (ModelRecord r : restoredModels) {
      if (r.isActive() || r.modelId.equals(serving.modelId) || draining.containsKey(r.modelId)) {
        continue;
      }
      try {
        ModelRuntime old = load(Path.of(r.packageDir));
        if (old.modelId.equals(r.modelId)) {
          old.updateId = r.updateId;
          old.updateTime = r.updateTime;
          draining.put(old.modelId, old);
        } else {
          old.close();
          LOG.warn(
              "Draining model {} not restored: {} now holds {}; its streams restart on {} at"
                  + " their next event",
              r.modelId,
              r.packageDir,
              old.modelId,
              serving.modelId);
        }
      } catch (ModelPackageException e) {
        LOG.warn(
            "Draining model {} not restored ({}); its streams restart on {} at their next event",
            r.modelId,
            e.getMessage(),
            serving.modelId);
      }
    }
    return serving;
  }

  /**
   * Counts the restored stream states per model. Without model updates in the restored state every
   * stream is the active model's (another model's state was refused above), so only the keys are
   * counted; otherwise every state is read once.
   */
  private void countRestoredStreams() throws Exception {
    boolean updated = restoredModels.stream().anyMatch(r -> r.updateId != null || !r.isActive());
    if (!updated) {
      try (var keys = getKeyedStateBackend().getKeys(STATE_NAME, VoidNamespace.INSTANCE)) {
        activeStreams = keys.count();
      }
      if (activeStreams > 0) {
        streamsPerModel.put(active.modelId, activeStreams);
      }
    } else {
      getKeyedStateBackend()
          .applyToAllKeys(
              VoidNamespace.INSTANCE,
              VoidNamespaceSerializer.INSTANCE,
              stateDescriptor(),
              (key, value) -> {
                RecurrentState s = value.value();
                if (s != null) {
                  activeStreams++;
                  streamsPerModel.merge(s.modelId, 1L, Long::sum);
                }
              });
    }
    for (Iterator<ModelRuntime> it = draining.values().iterator(); it.hasNext(); ) {
      ModelRuntime m = it.next();
      if (streamsPerModel.getOrDefault(m.modelId, 0L) == 0) {
        m.close();
        it.remove();
      } else {
        registerModelGauge(m.modelId);
      }
    }
  }

  private void registerModelGauge(String id) {
    if (modelGauges.add(id)) {
      getMetricGroup().addGroup("model", id).gauge("streams", () -> streams(id));
    }
  }

  private long streams(String id) {
    return streamsPerModel.getOrDefault(id, 0L);
  }

  private void countStream(String id, long delta) {
    long n = streamsPerModel.merge(id, delta, Long::sum);
    if (n <= 0) {
      streamsPerModel.remove(id);
    }
  }

  /**
   * A tagger update, applied at this point of the input (see the class javadoc): loads and
   * validates the package, flushes the bundle on the old model, then switches by the policy.
   */
  @Override
  protected void applyUpdate(ModelUpdate update) throws Exception {
    String id = update.getUpdateId();
    ModelUpdatePolicy policy = update.getPolicy();
    if (policy == ModelUpdatePolicy.REPLAY && replayTokens == 0) {
      refuse(
          update,
          "policy REPLAY needs the streams' recent tokens, which this job does not keep: start it"
              + " with --replay-tokens N (e.g. 32), or send RESET or DRAIN");
      return;
    }
    if (update.getModelId().equals(active.modelId)) {
      LOG.info(
          "Model update {} ignored: model {} already serves (from {})",
          id,
          active.modelId,
          active.dir);
      return;
    }
    long start = System.nanoTime();
    ModelRuntime next = draining.get(update.getModelId());
    if (next == null) {
      try {
        next = load(Path.of(update.getPackageDir()));
      } catch (RuntimeException e) {
        refuse(update, e.getMessage());
        return;
      }
      if (!next.modelId.equals(update.getModelId())) {
        String found = next.modelId;
        next.close();
        refuse(
            update,
            "the package in "
                + update.getPackageDir()
                + " is "
                + found
                + ", not "
                + update.getModelId()
                + " as the update says (it changed since the update was written); validate it"
                + " again with ./rillet model-update");
        return;
      }
    } else {
      draining.remove(next.modelId);
    }
    long loadMillis = (System.nanoTime() - start) / 1_000_000;
    // Everything that arrived before the update is tagged by the old model.
    flushBundle();
    ModelRuntime old = active;
    next.updateId = id;
    next.updateTime = update.getCreatedAt();
    active = next;
    switchPolicy = policy;
    registerModelGauge(next.modelId);
    if (policy == ModelUpdatePolicy.DRAIN && streams(old.modelId) > 0) {
      draining.put(old.modelId, old);
    } else {
      old.close();
    }
    if (policy != ModelUpdatePolicy.DRAIN) {
      // Every stream moves at its next event: nothing runs on the older models any more.
      draining.values().forEach(ModelRuntime::close);
      draining.clear();
    }
    lastSwapMillis = (System.nanoTime() - start) / 1_000_000;
    applied();
    LOG.info(
        "Model update {} applied ({}): {} serves from {} instead of {}; loaded and validated in"
            + " {} ms; {} stream states on older models{}",
        id,
        policy,
        next.modelId,
        next.dir,
        old.modelId,
        loadMillis,
        activeStreams - streams(next.modelId),
        draining.isEmpty() ? "" : "; draining " + draining.keySet());
  }

  @Override
  protected String servingDescription() {
    return "model " + active.modelId;
  }

  @Override
  protected String updateDetail(ModelUpdate update) {
    return "policy " + update.getPolicy();
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
    slot.queue.add(new PendingEvent(event, timestampOf(element)));
    inputArrived = true;
    // A token-less event (close marker, empty end of stream) still occupies the bundle: count it,
    // or a bundle of markers would wait for the delay timer.
    bundled(Math.max(1, event.tokens.length));
  }

  @Override
  public void snapshotState(StateSnapshotContext context) throws Exception {
    super.snapshotState(context);
    modelState.update(List.of(active.modelId));
    List<ModelRecord> models = new ArrayList<>(1 + draining.size());
    models.add(record(active, ModelRecord.ACTIVE));
    for (ModelRuntime m : draining.values()) {
      models.add(record(m, ModelRecord.DRAINING));
    }
    modelsState.update(models);
  }

  private ModelRecord record(ModelRuntime m, String role) {
    ModelRecord r = new ModelRecord(m.modelId, m.dir, role, m.updateId, m.updateTime, startModelId);
    if (m == active) {
      r.policy = switchPolicy.name();
    }
    return r;
  }

  @Override
  public void close() throws Exception {
    try {
      if (draining != null) {
        draining.values().forEach(ModelRuntime::close);
        draining.clear();
      }
      if (active != null) {
        active.close();
        active = null;
      }
    } finally {
      super.close();
    }
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
    if (!unfinished || active == null) {
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
        if (recentState != null) {
          String[] recent = recentState.value();
          slot.recent = new ArrayDeque<>(replayTokens);
          if (recent != null) {
            slot.recent.addAll(List.of(recent));
          }
        }
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
      if (maxChunkTokens > 1) {
        int streams = round.size();
        int kept = 0;
        for (StreamSlot slot : round) {
          PendingEvent head = slot.queue.peek();
          if (head.model.chunkTokens > 1 && head.event.tokens.length - head.next > streams) {
            chunks.add(slot);
          } else {
            round.set(kept++, slot);
          }
        }
        round.subList(kept, streams).clear();
      }
      if (draining.isEmpty()) {
        stepAll(active, round);
      } else {
        // One call holds the streams of one model.
        stepModel(active);
        for (ModelRuntime m : draining.values()) {
          stepModel(m);
        }
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
        if (recentState != null) {
          recentState.clear();
        }
      } else {
        state.update(slot.state);
        if (recentState != null) {
          recentState.update(slot.recent.toArray(new String[0]));
        }
      }
      it.remove();
    }
    releaseDrained();
  }

  /** Steps the streams of {@code round} whose head event runs on {@code model}. */
  private void stepModel(ModelRuntime model) throws OrtException {
    batch.clear();
    for (StreamSlot slot : round) {
      if (slot.queue.peek().model == model) {
        batch.add(slot);
      }
    }
    stepAll(model, batch);
  }

  private void stepAll(ModelRuntime model, List<StreamSlot> slots) throws OrtException {
    int rows = batchSize();
    for (int from = 0; from < slots.size(); from += rows) {
      step(model, slots, from, Math.min(slots.size(), from + rows));
    }
  }

  /** Closes the draining models whose last stream has ended. */
  private void releaseDrained() {
    if (draining.isEmpty()) {
      return;
    }
    for (Iterator<ModelRuntime> it = draining.values().iterator(); it.hasNext(); ) {
      ModelRuntime m = it.next();
      if (streams(m.modelId) == 0) {
        LOG.info("Model {} released: its last stream has ended", m.modelId);
        m.close();
        it.remove();
      }
    }
  }

  /**
   * Emits the slot's finished events and starts the next ones until the head event has a token
   * waiting for a step. Returns false when the slot has nothing left to step.
   */
  private boolean advanceToNextToken(StreamSlot slot) throws OrtException {
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

  private void begin(StreamSlot slot, PendingEvent p) throws OrtException {
    p.started = true;
    SegmentedEvent e = p.event;
    p.model = active;
    if (e.isCloseMarker()) {
      p.allocate();
      return;
    }
    if (slot.state == null || e.freshStream) {
      if (slot.state == null) {
        activeStreams++;
        slot.state = RecurrentState.fresh(active.modelId, active.packedStateSize());
      } else {
        countStream(slot.state.modelId, -1);
        slot.state.reset(active.modelId, active.packedStateSize());
      }
      countStream(active.modelId, 1);
      if (slot.recent != null) {
        slot.recent.clear();
      }
    } else if (!active.modelId.equals(slot.state.modelId)) {
      ModelRuntime own = draining.get(slot.state.modelId);
      if (own != null && fits(slot.state, own)) {
        p.model = own;
      } else if (e.tokens.length > 0) {
        // RESET, or a model no longer loaded: the next tokens start from zero on the active
        // model. A token-less event leaves the state as it is (there is nothing to tag yet).
        stateResets.inc();
        countStream(slot.state.modelId, -1);
        countStream(active.modelId, 1);
        slot.state.switchModel(active.modelId, active.packedStateSize());
        if (switchPolicy == ModelUpdatePolicy.REPLAY && slot.recent != null) {
          replay(slot, active);
        }
        p.modelSwitched = true;
      }
    } else if (!fits(slot.state, active)) {
      stateResets.inc();
      slot.state.switchModel(active.modelId, active.packedStateSize());
      p.modelSwitched = true;
    }
    p.allocate();
    slot.state.lastSeq = e.seq;
    slot.state.lastActivity = e.eventTime;
  }

  /**
   * Runs the stream's recent tokens through {@code model} from its (zero) state, outputs unused, so
   * the stream's next token continues with that context. Called while a round is being gathered,
   * before any step of it has set the runner's inputs.
   */
  private void replay(StreamSlot slot, ModelRuntime model) throws OrtException {
    String[] tokens = slot.recent.toArray(new String[0]);
    RecurrentStepRunner runner = model.runner;
    for (int from = 0; from < tokens.length; from += model.chunkTokens) {
      int steps = Math.min(model.chunkTokens, tokens.length - from);
      runner.putState(1, 0, slot.state.tensors);
      if (model.chunkTokens > 1) {
        for (int t = 0; t < steps; t++) {
          runner.setChunkToken(t, model.vocabulary.id(tokens[from + t]));
        }
        runner.runChunk(steps);
      } else {
        runner.setToken(0, model.vocabulary.id(tokens[from]));
        runner.run(1);
      }
      runner.getState(1, 0, slot.state.tensors);
    }
    replayedTokens.inc(tokens.length);
  }

  /** Keeps the last {@link #replayTokens} token texts of the stream, when REPLAY is possible. */
  private void remember(StreamSlot slot, String token) {
    if (slot.recent != null) {
      if (slot.recent.size() == replayTokens) {
        slot.recent.pollFirst();
      }
      slot.recent.addLast(token);
    }
  }

  private static boolean fits(RecurrentState s, ModelRuntime m) {
    return s.tensors != null && s.tensors.length == m.packedStateSize();
  }

  private void end(StreamSlot slot, PendingEvent p) {
    SegmentedEvent e = p.event;
    long seen = slot.state == null ? 0 : slot.state.nextPosition;
    TaggedEvent tagged =
        new TaggedEvent(
            e,
            p.tags,
            p.tagProbabilities,
            p.sentiment,
            p.model.sentimentLabels,
            seen,
            p.model.modelId);
    tagged.modelSwitched = p.modelSwitched;
    emit(tagged, p.timestamp);
    if ((e.endOfStream || e.expired) && slot.state != null) {
      countStream(slot.state.modelId, -1);
      slot.state = null;
      activeStreams--;
    }
  }

  /**
   * One ONNX call of {@code model} over {@code slots[from, to)}: one token step for each of those
   * streams.
   */
  private void step(ModelRuntime model, List<StreamSlot> slots, int from, int to)
      throws OrtException {
    RecurrentStepRunner runner = model.runner;
    String[] tagLabels = model.tagLabels;
    int b = to - from;
    for (int row = 0; row < b; row++) {
      StreamSlot slot = slots.get(from + row);
      PendingEvent p = slot.queue.peek();
      SegmentedToken token = p.event.tokens[p.next];
      runner.setToken(row, model.vocabulary.id(token.text));
      runner.putState(b, row, slot.state.tensors);
    }
    long start = System.nanoTime();
    runner.run(b);
    recordCall(b, start);
    tokensProcessed.inc(b);
    for (int row = 0; row < b; row++) {
      StreamSlot slot = slots.get(from + row);
      PendingEvent p = slot.queue.peek();
      runner.getState(b, row, slot.state.tensors);
      remember(slot, p.event.tokens[p.next].text);
      int i = p.next++;
      p.tags[i] = tagLabels[runner.bestTag(row, p.tagProbabilities, i)];
      slot.state.nextPosition++;
      if (p.next == p.event.tokens.length && p.sentiment.length > 0) {
        runner.sentimentSoftmax(row, p.sentiment);
      }
    }
  }

  /**
   * One {@code [1,T]} call over the next {@code T <= model.chunkTokens} tokens of the slot's head
   * event, from and back into the slot's state.
   */
  private void chunk(StreamSlot slot) throws OrtException {
    PendingEvent p = slot.queue.peek();
    ModelRuntime model = p.model;
    RecurrentStepRunner runner = model.runner;
    SegmentedToken[] tokens = p.event.tokens;
    int first = p.next;
    int steps = Math.min(model.chunkTokens, tokens.length - first);
    for (int t = 0; t < steps; t++) {
      runner.setChunkToken(t, model.vocabulary.id(tokens[first + t].text));
    }
    runner.putState(1, 0, slot.state.tensors);
    long start = System.nanoTime();
    runner.runChunk(steps);
    recordCall(1, start);
    chunkLengths.update(steps);
    tokensProcessed.inc(steps);
    runner.getState(1, 0, slot.state.tensors);
    for (int t = 0; t < steps; t++) {
      p.tags[first + t] = model.tagLabels[runner.bestTag(t, p.tagProbabilities, first + t)];
      remember(slot, tokens[first + t].text);
    }
    p.next = first + steps;
    slot.state.nextPosition += steps;
    if (p.next == tokens.length && p.sentiment.length > 0) {
      // Sentiment is read after the event's last token: the chunk's last step.
      runner.sentimentSoftmax(steps - 1, p.sentiment);
    }
  }

  /** The model serving new streams; for tests. */
  String activeModelId() {
    return active.modelId;
  }

  /** The models loaded for streams draining off them; for tests. */
  Set<String> drainingModelIds() {
    return Set.copyOf(draining.keySet());
  }

  /** Stream states written by model {@code id}; for tests. */
  long streamsOn(String id) {
    return streams(id);
  }

  /** Updates refused since open; for tests. */
  long modelUpdatesRefused() {
    return refusedCount();
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

    /** The stream's last token texts (for REPLAY); null when the tagger keeps none. */
    ArrayDeque<String> recent;

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

    /** Sized for {@link #model}'s sentiment labels in {@link #allocate()}. */
    float[] sentiment;

    int next;
    boolean started;

    /** The model that runs this event; set when it starts. */
    ModelRuntime model;

    /** The stream moved to {@link #model} from another model's state at this event. */
    boolean modelSwitched;

    PendingEvent(SegmentedEvent event, long timestamp) {
      this.event = event;
      this.timestamp = timestamp;
      int n = event.tokens.length;
      this.tags = new String[n];
      this.tagProbabilities = new float[n];
    }

    void allocate() {
      sentiment = new float[event.tokens.length > 0 ? model.sentimentLabels.length : 0];
    }
  }

  /**
   * Builds a {@link RecurrentTagger}; {@link #build()} checks the settings. Bundle defaults: {@link
   * #DEFAULT_MAX_BUNDLE_TOKENS}, {@link #DEFAULT_MAX_BATCH_SIZE} and a 5 ms {@code maxDelay}.
   */
  public static final class Builder extends BundlingBuilder<Builder> {
    private Path modelDir;
    private int maxChunkTokens = 256;
    private int intraOpThreads = 1;
    private ExecutionProvider executionProvider = ExecutionProvider.AUTO;
    private int replayTokens = 0;
    private TypeSerializer<RecurrentState> stateSerializer = RecurrentStateSerializer.INSTANCE;

    private Builder() {
      super(DEFAULT_MAX_BUNDLE_TOKENS, DEFAULT_MAX_BATCH_SIZE, Duration.ofMillis(5));
    }

    /** The model package directory (holding manifest.json). Required. */
    public Builder modelDir(Path modelDir) {
      this.modelDir = modelDir;
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

    /** ONNX Runtime intra-op threads of the shared session. Default 1. */
    public Builder intraOpThreads(int n) {
      this.intraOpThreads = n;
      return this;
    }

    /** Both ONNX Runtime settings at once: intra-op threads and execution provider. */
    public Builder ortSettings(OrtSettings settings) {
      this.intraOpThreads = settings.intraOpThreads();
      this.executionProvider = settings.executionProvider();
      return this;
    }

    /**
     * Where ONNX Runtime runs the model. Default {@link ExecutionProvider#AUTO}: CUDA where it
     * works, the CPU elsewhere.
     */
    public Builder executionProvider(ExecutionProvider provider) {
      this.executionProvider = provider;
      return this;
    }

    /**
     * Keep each stream's last {@code n} tokens in keyed state, so that a model update with policy
     * REPLAY can rebuild the stream's state on the new model from them. Default 0: none kept (no
     * cost per token), and REPLAY updates are refused.
     */
    public Builder replayTokens(int n) {
      this.replayTokens = n;
      return this;
    }

    /**
     * The serializer of the streams' state; tests set an older layout's (such as {@link
     * RecurrentStateSerializerV1}) to write state as an older Rillet did. Not for users: state
     * written otherwise than by {@link RecurrentStateSerializer} is only restorable by migration.
     */
    Builder stateSerializer(TypeSerializer<RecurrentState> serializer) {
      this.stateSerializer = serializer;
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
      checkBundling(problems);
      if (maxChunkTokens < 1) {
        problems.add("maxChunkTokens must be >= 1, got " + maxChunkTokens);
      }
      if (intraOpThreads < 1) {
        problems.add("intraOpThreads must be >= 1, got " + intraOpThreads);
      }
      if (replayTokens < 0) {
        problems.add("replayTokens must be >= 0, got " + replayTokens);
      }
      if (executionProvider == null) {
        problems.add("executionProvider is null: use AUTO, CPU or CUDA");
      } else if (intraOpThreads >= 1) {
        try {
          new OrtSettings(intraOpThreads, executionProvider).requireProviderInBuild();
        } catch (IllegalArgumentException e) {
          problems.add(e.getMessage());
        }
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
