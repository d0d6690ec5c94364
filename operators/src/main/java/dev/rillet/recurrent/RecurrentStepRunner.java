package dev.rillet.recurrent;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.rillet.onnx.Logits;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.util.HashMap;
import java.util.Map;

/**
 * Runs one recurrent step ({@code T = 1}) for a batch of up to {@code maxBatch} independent streams
 * through an ONNX session that follows the recurrent step contract (token ids {@code [B,T]}, state
 * tensors {@code [L,B,H]} in; tag logits {@code [B,T,C]}, optional sentiment logits {@code
 * [B,T,S]}, new states out).
 *
 * <p>All inputs and outputs live in direct, native-order buffers allocated once for {@code
 * maxBatch}; ONNX Runtime reads and writes them in place (direct inputs are not copied, outputs are
 * pinned). The tensors wrapping them are created once per batch size and cached, so a step
 * allocates nothing on the Java heap.
 *
 * <p>Usage per batch: {@link #setToken}, {@link #putState} for rows {@code 0..B-1}; {@link
 * #run(int)}; then read with {@link #getState}, {@link #bestTag}, {@link #sentimentSoftmax}.
 *
 * <p>Not thread-safe: one runner per operator instance. The session is <b>not owned</b> (it may be
 * shared across subtasks; {@code OrtSession.run} is thread-safe); {@link #close()} releases only
 * the tensors this runner created.
 */
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

  private final LongBuffer tokenIds;
  private final FloatBuffer[] statesIn;
  private final FloatBuffer[] statesOut;
  private final FloatBuffer tagLogits;
  private final FloatBuffer sentimentLogits;

  /** Per batch size B (index B), the input and pinned-output tensors viewing the buffers above. */
  private final BatchTensors[] byBatchSize;

  /**
   * @param sentimentLogitsName null when the model has no sentiment head
   * @param sentimentCount 0 when the model has no sentiment head
   */
  public RecurrentStepRunner(
      OrtEnvironment env,
      OrtSession session,
      String tokenIdsName,
      String[] stateInNames,
      String[] stateOutNames,
      String tagLogitsName,
      String sentimentLogitsName,
      int layers,
      int hidden,
      int tagCount,
      int sentimentCount,
      int maxBatch) {
    if (stateInNames.length != stateOutNames.length || stateInNames.length == 0) {
      throw new IllegalArgumentException("state inputs and outputs must pair up, at least one");
    }
    if (maxBatch < 1) {
      throw new IllegalArgumentException("maxBatch must be >= 1, got " + maxBatch);
    }
    this.env = env;
    this.session = session;
    this.tokenIdsName = tokenIdsName;
    this.stateInNames = stateInNames.clone();
    this.stateOutNames = stateOutNames.clone();
    this.tagLogitsName = tagLogitsName;
    this.sentimentLogitsName = sentimentCount > 0 ? sentimentLogitsName : null;
    this.layers = layers;
    this.hidden = hidden;
    this.tagCount = tagCount;
    this.sentimentCount = sentimentCount;
    this.maxBatch = maxBatch;

    this.tokenIds = direct(maxBatch * Long.BYTES).asLongBuffer();
    this.statesIn = new FloatBuffer[stateInNames.length];
    this.statesOut = new FloatBuffer[stateInNames.length];
    for (int k = 0; k < statesIn.length; k++) {
      statesIn[k] = floats(layers * maxBatch * hidden);
      statesOut[k] = floats(layers * maxBatch * hidden);
    }
    this.tagLogits = floats(maxBatch * tagCount);
    this.sentimentLogits = sentimentCount > 0 ? floats(maxBatch * sentimentCount) : null;
    this.byBatchSize = new BatchTensors[maxBatch + 1];
  }

  public int maxBatch() {
    return maxBatch;
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

  /** Runs the model on rows {@code 0..batchSize-1}. */
  public void run(int batchSize) throws OrtException {
    BatchTensors t = tensorsFor(batchSize);
    // Pinned outputs are written in place and not owned by the Result; closing it frees nothing
    // of ours.
    try (OrtSession.Result ignored = session.run(t.inputs, t.outputs)) {
      // outputs are in tagLogits / sentimentLogits / statesOut
    }
  }

  /**
   * Index of the most probable tag of batch row {@code row}; its softmax probability is stored in
   * {@code probabilityOut[probabilityIndex]}.
   */
  public int bestTag(int row, float[] probabilityOut, int probabilityIndex) {
    return Logits.argmax(tagLogits, row * tagCount, tagCount, probabilityOut, probabilityIndex);
  }

  /** Writes the softmax of batch row {@code row}'s sentiment logits into {@code out}. */
  public void sentimentSoftmax(int row, float[] out) {
    if (sentimentLogits == null) {
      throw new IllegalStateException("the model has no sentiment head");
    }
    Logits.softmax(sentimentLogits, row * sentimentCount, sentimentCount, out);
  }

  private BatchTensors tensorsFor(int batchSize) throws OrtException {
    if (batchSize < 1 || batchSize > maxBatch) {
      throw new IllegalArgumentException("batch size " + batchSize + " not in 1.." + maxBatch);
    }
    BatchTensors t = byBatchSize[batchSize];
    if (t == null) {
      t = new BatchTensors(batchSize);
      byBatchSize[batchSize] = t;
    }
    return t;
  }

  @Override
  public void close() {
    for (int b = 0; b < byBatchSize.length; b++) {
      if (byBatchSize[b] != null) {
        byBatchSize[b].close();
        byBatchSize[b] = null;
      }
    }
  }

  /** The tensors for one batch size: views of the first {@code B}-sized part of each buffer. */
  private final class BatchTensors implements AutoCloseable {
    final Map<String, OnnxTensor> inputs = new HashMap<>();
    final Map<String, OnnxTensor> outputs = new HashMap<>();

    BatchTensors(int b) throws OrtException {
      try {
        long[] stateShape = {layers, b, hidden};
        inputs.put(
            tokenIdsName, OnnxTensor.createTensor(env, view(tokenIds, b), new long[] {b, 1}));
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
                env, view(tagLogits, b * tagCount), new long[] {b, 1, tagCount}));
        if (sentimentLogitsName != null) {
          outputs.put(
              sentimentLogitsName,
              OnnxTensor.createTensor(
                  env,
                  view(sentimentLogits, b * sentimentCount),
                  new long[] {b, 1, sentimentCount}));
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
