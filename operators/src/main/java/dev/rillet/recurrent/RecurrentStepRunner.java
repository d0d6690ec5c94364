package dev.rillet.recurrent;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.rillet.onnx.Logits;
import dev.rillet.onnx.RecurrentModelPackage;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.util.HashMap;
import java.util.Map;
import org.apache.flink.annotation.Internal;

/**
 * Runs a recurrent step model through an ONNX session that follows the recurrent step contract
 * (token ids {@code [B,T]}, state tensors {@code [L,B,H]} in; tag logits {@code [B,T,C]}, optional
 * sentiment logits {@code [B,T,S]}, new states out), in two shapes:
 *
 * <ul>
 *   <li><b>a batch</b> {@code [B,1]}: one step for each of up to {@code maxBatch} independent
 *       streams ({@link #run(int)});
 *   <li><b>a chunk</b> {@code [1,T]}: up to {@code maxChunk} consecutive tokens of one stream in
 *       one call ({@link #runChunk(int)}). The model runs the T steps inside the call, so a long
 *       run of one stream pays the per-call cost once per chunk instead of once per token; its
 *       outputs equal T single steps (the same recurrence, only the call boundary differs).
 * </ul>
 *
 * <p>All inputs and outputs live in direct, native-order buffers allocated once, for the larger of
 * {@code maxBatch} rows and {@code maxChunk} steps; ONNX Runtime reads and writes them in place
 * (direct inputs are not copied, outputs are pinned). The tensors wrapping them are created once
 * per batch size and per chunk length and cached, so neither shape allocates on the Java heap per
 * call.
 *
 * <p>Usage per batch: {@link #setToken}, {@link #putState} for rows {@code 0..B-1}; {@link
 * #run(int)}; then read with {@link #getState}, {@link #bestTag}, {@link #sentimentSoftmax}.
 *
 * <p>Usage per chunk: {@link #setChunkToken} for steps {@code 0..T-1}, {@link #putState}{@code (1,
 * 0, state)}; {@link #runChunk(int)}; then {@link #getState}{@code (1, 0, state)} (the state after
 * the last step) and {@link #bestTag} / {@link #sentimentSoftmax} with the step {@code t} as the
 * row (a {@code [1,T,C]} output is laid out like a {@code [T,1,C]} one).
 *
 * <p>Not thread-safe: one runner per operator instance. The session is <b>not owned</b> (it may be
 * shared across subtasks; {@code OrtSession.run} is thread-safe); {@link #close()} releases only
 * the tensors this runner created.
 */
@Internal
public final class RecurrentStepRunner implements AutoCloseable {
  private final OrtEnvironment env;
  private final OrtSession session;
  private final String tokenIdsName;
  private final String[] stateInNames;
  private final String[] stateOutNames;
  private final String tagLogitsName;
  private final String sentimentLogitsName;
  private final int layers;
  private final int hidden;
  private final int tagCount;
  private final int sentimentCount;
  private final int maxBatch;
  private final int maxChunk;

  private final LongBuffer tokenIds;
  private final FloatBuffer[] statesIn;
  private final FloatBuffer[] statesOut;
  private final FloatBuffer tagLogits;
  private final FloatBuffer sentimentLogits;

  /**
   * Per batch size B (index B), the input and pinned-output tensors of a {@code [B,1]} call viewing
   * the buffers above.
   */
  private final CallTensors[] byBatchSize;

  /** Per chunk length T (index T), the tensors of a {@code [1,T]} call; index 1 is unused. */
  private final CallTensors[] byChunkLength;

  /**
   * A runner on a loaded package's session, with the package's input and output names, sizes and
   * labels, for {@code [B,1]} batches of up to {@code maxBatch} rows and {@code [1,T]} chunks of up
   * to {@code maxChunk} steps (1 for batches only; the package's graph takes a dynamic T, which its
   * load checked). The package keeps owning its session.
   */
  public static RecurrentStepRunner on(RecurrentModelPackage model, int maxBatch, int maxChunk) {
    return new RecurrentStepRunner(model, maxBatch, maxChunk);
  }

  private RecurrentStepRunner(RecurrentModelPackage model, int maxBatch, int maxChunk) {
    String[] stateInNames = model.stateInputs().toArray(new String[0]);
    String[] stateOutNames = model.stateOutputs().toArray(new String[0]);
    int layers = model.layers();
    int hidden = model.hidden();
    int tagCount = model.tagLabels().size();
    // Empty without a sentiment head: no sentiment output then.
    int sentimentCount = model.sentimentLabels().size();
    if (stateInNames.length != stateOutNames.length || stateInNames.length == 0) {
      throw new IllegalArgumentException("state inputs and outputs must pair up, at least one");
    }
    if (maxBatch < 1) {
      throw new IllegalArgumentException("maxBatch must be >= 1, got " + maxBatch);
    }
    if (maxChunk < 1) {
      throw new IllegalArgumentException("maxChunk must be >= 1, got " + maxChunk);
    }
    this.env = OrtEnvironment.getEnvironment();
    this.session = model.session();
    this.tokenIdsName = model.tokenIdsInput();
    this.stateInNames = stateInNames;
    this.stateOutNames = stateOutNames;
    this.tagLogitsName = model.tagLogitsOutput();
    this.sentimentLogitsName = sentimentCount > 0 ? model.sentimentLogitsOutput() : null;
    this.layers = layers;
    this.hidden = hidden;
    this.tagCount = tagCount;
    this.sentimentCount = sentimentCount;
    this.maxBatch = maxBatch;
    this.maxChunk = maxChunk;

    // Token ids and logits hold B rows of one step or T steps of one row, whichever is larger;
    // states are [L,B,H] and a chunk has B = 1, so they are sized by maxBatch alone.
    int positions = Math.max(maxBatch, maxChunk);
    this.tokenIds = direct(positions * Long.BYTES).asLongBuffer();
    this.statesIn = new FloatBuffer[stateInNames.length];
    this.statesOut = new FloatBuffer[stateInNames.length];
    for (int k = 0; k < statesIn.length; k++) {
      statesIn[k] = floats(layers * maxBatch * hidden);
      statesOut[k] = floats(layers * maxBatch * hidden);
    }
    this.tagLogits = floats(positions * tagCount);
    this.sentimentLogits = sentimentCount > 0 ? floats(positions * sentimentCount) : null;
    this.byBatchSize = new CallTensors[maxBatch + 1];
    this.byChunkLength = new CallTensors[maxChunk + 1];
  }

  public int maxBatch() {
    return maxBatch;
  }

  /** The longest {@code [1,T]} chunk {@link #runChunk} takes. */
  public int maxChunk() {
    return maxChunk;
  }

  /** Number of floats in one stream's packed state (all state tensors, all layers). */
  public int packedStateSize() {
    return stateInNames.length * layers * hidden;
  }

  public int tagCount() {
    return tagCount;
  }

  public int sentimentCount() {
    return sentimentCount;
  }

  /** Sets the token id of batch row {@code row}. */
  public void setToken(int row, long tokenId) {
    tokenIds.put(row, tokenId);
  }

  /** Sets the token id of step {@code step} of a {@code [1,T]} chunk. */
  public void setChunkToken(int step, long tokenId) {
    tokenIds.put(step, tokenId);
  }

  /**
   * Copies one stream's packed state (see {@link RecurrentState}) into batch row {@code row} of a
   * batch of {@code batchSize} rows.
   */
  public void putState(int batchSize, int row, float[] packed) {
    for (int k = 0; k < statesIn.length; k++) {
      FloatBuffer in = statesIn[k];
      for (int l = 0; l < layers; l++) {
        int src = (k * layers + l) * hidden;
        int dst = (l * batchSize + row) * hidden;
        in.put(dst, packed, src, hidden);
      }
    }
  }

  /** Copies the new state of batch row {@code row} (after {@link #run}) into {@code packed}. */
  public void getState(int batchSize, int row, float[] packed) {
    for (int k = 0; k < statesOut.length; k++) {
      FloatBuffer out = statesOut[k];
      for (int l = 0; l < layers; l++) {
        int dst = (k * layers + l) * hidden;
        int src = (l * batchSize + row) * hidden;
        out.get(src, packed, dst, hidden);
      }
    }
  }

  /** Runs the model on rows {@code 0..batchSize-1}: one step each, a {@code [B,1]} call. */
  public void run(int batchSize) throws OrtException {
    if (batchSize < 1 || batchSize > maxBatch) {
      throw new IllegalArgumentException("batch size " + batchSize + " not in 1.." + maxBatch);
    }
    CallTensors t = byBatchSize[batchSize];
    if (t == null) {
      t = new CallTensors(batchSize, 1);
      byBatchSize[batchSize] = t;
    }
    run(t);
  }

  /**
   * Runs the model on steps {@code 0..steps-1} of one stream, a {@code [1,T]} call from the state
   * in row 0. Afterwards row 0 holds the state after the last step, and "row" {@code t} of {@link
   * #bestTag} / {@link #sentimentSoftmax} reads step {@code t}.
   */
  public void runChunk(int steps) throws OrtException {
    if (steps < 1 || steps > maxChunk) {
      throw new IllegalArgumentException("chunk length " + steps + " not in 1.." + maxChunk);
    }
    if (steps == 1) {
      // [1,1] is a batch of one: share its tensors rather than create a second set.
      run(1);
      return;
    }
    CallTensors t = byChunkLength[steps];
    if (t == null) {
      t = new CallTensors(1, steps);
      byChunkLength[steps] = t;
    }
    run(t);
  }

  private void run(CallTensors t) throws OrtException {
    // Pinned outputs are written in place and not owned by the Result; closing it frees nothing
    // of ours.
    try (OrtSession.Result ignored = session.run(t.inputs, t.outputs)) {
      // outputs are in tagLogits / sentimentLogits / statesOut
    }
  }

  /**
   * Index of the most probable tag of batch row {@code row} (or chunk step {@code row}); its
   * softmax probability is stored in {@code probabilityOut[probabilityIndex]}.
   */
  public int bestTag(int row, float[] probabilityOut, int probabilityIndex) {
    return Logits.argmax(tagLogits, row * tagCount, tagCount, probabilityOut, probabilityIndex);
  }

  /**
   * Writes the softmax of batch row {@code row}'s (or chunk step {@code row}'s) sentiment logits
   * into {@code out}.
   */
  public void sentimentSoftmax(int row, float[] out) {
    if (sentimentLogits == null) {
      throw new IllegalStateException("the model has no sentiment head");
    }
    Logits.softmax(sentimentLogits, row * sentimentCount, sentimentCount, out);
  }

  @Override
  public void close() {
    close(byBatchSize);
    close(byChunkLength);
  }

  private static void close(CallTensors[] cached) {
    for (int i = 0; i < cached.length; i++) {
      if (cached[i] != null) {
        cached[i].close();
        cached[i] = null;
      }
    }
  }

  /**
   * The tensors of one call shape {@code [B,T]} (B = 1 or T = 1): views of the first part of each
   * buffer.
   */
  private final class CallTensors implements AutoCloseable {
    final Map<String, OnnxTensor> inputs = new HashMap<>();
    final Map<String, OnnxTensor> outputs = new HashMap<>();

    CallTensors(int b, int t) throws OrtException {
      try {
        long[] stateShape = {layers, b, hidden};
        inputs.put(
            tokenIdsName, OnnxTensor.createTensor(env, view(tokenIds, b * t), new long[] {b, t}));
        for (int k = 0; k < stateInNames.length; k++) {
          inputs.put(
              stateInNames[k],
              OnnxTensor.createTensor(env, view(statesIn[k], layers * b * hidden), stateShape));
          outputs.put(
              stateOutNames[k],
              OnnxTensor.createTensor(env, view(statesOut[k], layers * b * hidden), stateShape));
        }
        outputs.put(
            tagLogitsName,
            OnnxTensor.createTensor(
                env, view(tagLogits, b * t * tagCount), new long[] {b, t, tagCount}));
        if (sentimentLogitsName != null) {
          outputs.put(
              sentimentLogitsName,
              OnnxTensor.createTensor(
                  env,
                  view(sentimentLogits, b * t * sentimentCount),
                  new long[] {b, t, sentimentCount}));
        }
      } catch (OrtException | RuntimeException e) {
        close();
        throw e;
      }
    }

    @Override
    public void close() {
      inputs.values().forEach(OnnxTensor::close);
      outputs.values().forEach(OnnxTensor::close);
      inputs.clear();
      outputs.clear();
    }
  }

  private static ByteBuffer direct(int bytes) {
    return ByteBuffer.allocateDirect(bytes).order(ByteOrder.nativeOrder());
  }

  private static FloatBuffer floats(int n) {
    return direct(n * Float.BYTES).asFloatBuffer();
  }

  private static FloatBuffer view(FloatBuffer base, int n) {
    FloatBuffer v = base.duplicate();
    v.clear().limit(n);
    return v.slice();
  }

  private static LongBuffer view(LongBuffer base, int n) {
    LongBuffer v = base.duplicate();
    v.clear().limit(n);
    return v.slice();
  }
}
