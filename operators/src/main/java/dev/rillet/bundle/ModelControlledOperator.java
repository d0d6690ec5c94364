package dev.rillet.bundle;

import dev.rillet.avro.ModelUpdate;
import dev.rillet.avro.ModelUpdateTarget;
import java.util.Comparator;
import java.util.List;
import java.util.function.Function;
import java.util.function.ToLongFunction;
import java.util.stream.Stream;
import org.apache.flink.annotation.Internal;
import org.apache.flink.api.common.state.ListState;
import org.apache.flink.api.common.state.ListStateDescriptor;
import org.apache.flink.metrics.Counter;
import org.apache.flink.runtime.state.StateInitializationContext;
import org.apache.flink.streaming.api.operators.TwoInputStreamOperator;
import org.apache.flink.streaming.api.watermark.Watermark;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.runtime.watermarkstatus.WatermarkStatus;
import org.slf4j.LoggerFactory;

/**
 * A {@link BundlingOperator} that also takes {@link ModelUpdate}s on a second input: the job's
 * model-control topic, broadcast to every subtask. Used as a one-input operator (no control topic
 * wired) it serves its configured model only.
 *
 * <p>This class holds what every such operator does the same way: the first input is the data input
 * ({@link #processElement}); the second input passes the updates for this operator's {@link
 * ModelUpdateTarget} to {@link #applyUpdate} and ignores the others without a log line (they are
 * another operator's, not refused); the control input takes no part in event time, so only the data
 * input's watermarks and watermark status pass; {@code modelUpdatesApplied} and {@code
 * modelUpdatesRefused} count the outcomes. What an update means (which model, which policy, what
 * happens to the streams' state) is the subclass's.
 */
@Internal
public abstract class ModelControlledOperator<IN, OUT> extends BundlingOperator<IN, OUT>
    implements TwoInputStreamOperator<IN, ModelUpdate, OUT> {
  private static final long serialVersionUID = 1L;

  private final ModelUpdateTarget target;

  private transient Counter updatesApplied;
  private transient Counter updatesRefused;

  /**
   * @param target the updates this operator applies; those for other targets are ignored
   * @param settings the subclass's builder, as {@link BundlingOperator} takes it
   */
  protected ModelControlledOperator(ModelUpdateTarget target, BundlingBuilder<?> settings) {
    super(settings);
    this.target = target;
  }

  /**
   * Applies an update for this operator's target where it stands in the input: loads and checks the
   * new model, flushes the bundle on the old one, then switches. An update that cannot serve is
   * passed to {@link #refuse} and the old model serves on; an applied one is counted with {@link
   * #applied()}.
   */
  protected abstract void applyUpdate(ModelUpdate update) throws Exception;

  /** The serving model as the refusal log line names it, e.g. {@code model demo@1}. */
  protected abstract String servingDescription();

  /** What the refusal log line says last about the update, e.g. {@code policy RESET}. */
  protected abstract String updateDetail(ModelUpdate update);

  @Override
  public void open() throws Exception {
    super.open();
    updatesApplied = getMetricGroup().counter("modelUpdatesApplied");
    updatesRefused = getMetricGroup().counter("modelUpdatesRefused");
  }

  /** The data input of the two-input form: the same as {@link #processElement}. */
  @Override
  public final void processElement1(StreamRecord<IN> element) throws Exception {
    processElement(element);
  }

  /** A model update: this operator's are applied at this point of the input, others ignored. */
  @Override
  public final void processElement2(StreamRecord<ModelUpdate> element) throws Exception {
    ModelUpdate update = element.getValue();
    if (update.getTarget() == target) {
      applyUpdate(update);
    }
  }

  /** The control input takes no part in event time: the data input's watermark passes alone. */
  @Override
  public final void processWatermark1(Watermark mark) throws Exception {
    processWatermark(mark);
  }

  @Override
  public final void processWatermark2(Watermark mark) {}

  @Override
  protected final void processWatermarkStatus(WatermarkStatus status, int index) throws Exception {
    if (index == 0) {
      processWatermarkStatus(status);
    }
  }

  /** Counts an applied update; the subclass logs what it switched to. */
  protected final void applied() {
    updatesApplied.inc();
  }

  /** Refuses {@code update}: counts it and logs at ERROR why, while the serving model serves on. */
  protected final void refuse(ModelUpdate update, String problem) {
    updatesRefused.inc();
    // The subclass's logger, so that its log configuration covers its refusals.
    LoggerFactory.getLogger(getClass())
        .error(
            "Model update {} refused, {} keeps serving: {} (update: {} {}, package {}, {})",
            update.getUpdateId(),
            servingDescription(),
            problem,
            // An ELMo update names its heads package; the biLM comes in the detail.
            target == ModelUpdateTarget.ELMO ? "heads" : "model",
            update.getModelId(),
            update.getPackageDir(),
            updateDetail(update));
  }

  /** Updates applied since open. */
  protected final long appliedCount() {
    return updatesApplied.getCount();
  }

  /** Updates refused since open. */
  protected final long refusedCount() {
    return updatesRefused.getCount();
  }

  /**
   * Registers the union list state {@code descriptor} (after a rescale every subtask sees what all
   * old subtasks wrote) and adds what a restore brings to {@code restored}.
   */
  protected static <T> ListState<T> unionState(
      StateInitializationContext context, ListStateDescriptor<T> descriptor, List<T> restored)
      throws Exception {
    ListState<T> state = context.getOperatorStateStore().getUnionListState(descriptor);
    if (context.isRestored()) {
      state.get().forEach(restored::add);
    }
    return state;
  }

  /**
   * Of the records a restore brings, the one an update wrote last: the latest update time, ties
   * broken by the greater id (the same choice on every subtask of a union restore); null if none.
   */
  protected static <R> R latest(
      Stream<R> records, ToLongFunction<R> updateTime, Function<R, String> id) {
    return records.max(Comparator.comparingLong(updateTime).thenComparing(id)).orElse(null);
  }
}
