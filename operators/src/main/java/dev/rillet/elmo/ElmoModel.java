package dev.rillet.elmo;

import ai.onnxruntime.NodeInfo;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.TensorInfo;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.IntBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Runs ELMo through ONNX Runtime: a model converted by {@link ElmoOnnxConverter}, loaded from an
 * ONNX file or converted in memory from an {@code options.json} + {@code weights.hdf5} pair.
 * Independent of Flink.
 *
 * <p>{@link #embed} takes a batch of tokenised sentences (any lengths; the batch is padded to the
 * longest) and returns each sentence's {@link ElmoLayers} with the markers removed. Results do not
 * depend on the batch: a sentence gives the same activations alone or with others (within float
 * rounding, ~1e-6). Stateful models carry each sentence's LSTM state in an {@link ElmoState}.
 *
 * <p>Ownership: the model owns its {@link OrtSession} (and its options) and closes them in {@link
 * #close}; the {@link OrtEnvironment} is the process-wide one and is never closed. Calls to {@link
 * #embed} are serialised (the input and output buffers are reused across calls); the session itself
 * uses {@code intraOpThreads} threads per call.
 */
public final class ElmoModel implements AutoCloseable {
  private final OrtEnvironment env;
  private final OrtSession.SessionOptions sessionOptions;
  private final OrtSession session;
  private final int layers;
  private final int dim;
  private final int lstmLayers;
  private final int projectionDim;
  private final int cellDim;
  private final boolean stateful;
  private final ElmoCharIds charIds;

  // Reused across calls: grown when a batch needs more, never shrunk.
  private int[] ids = new int[0];
  private ByteBuffer idBytes = ByteBuffer.allocateDirect(0);
  private ByteBuffer outBytes = ByteBuffer.allocateDirect(0);
  private ByteBuffer hBytes = ByteBuffer.allocateDirect(0);
  private ByteBuffer cBytes = ByteBuffer.allocateDirect(0);
  private ByteBuffer hOutBytes = ByteBuffer.allocateDirect(0);
  private ByteBuffer cOutBytes = ByteBuffer.allocateDirect(0);

  private ElmoModel(byte[] onnx, Path file, int intraOpThreads) {
    if (intraOpThreads < 1) {
      throw new IllegalArgumentException("intraOpThreads must be >= 1, got " + intraOpThreads);
    }
    this.env = OrtEnvironment.getEnvironment();
    OrtSession.SessionOptions options = new OrtSession.SessionOptions();
    OrtSession s = null;
    try {
      options.setIntraOpNumThreads(intraOpThreads);
      options.setInterOpNumThreads(1);
      options.setExecutionMode(OrtSession.SessionOptions.ExecutionMode.SEQUENTIAL);
      // Spinning pool threads would take the cores other operators need between calls.
      options.addConfigEntry("session.intra_op.allow_spinning", "0");
      s =
          onnx != null
              ? env.createSession(onnx, options)
              : env.createSession(file.toString(), options);
      Map<String, NodeInfo> inputs = s.getInputInfo();
      Map<String, NodeInfo> outputs = s.getOutputInfo();
      String where = file != null ? file.toString() : "converted ELMo model";
      long[] idShape = shape(inputs, ElmoOnnxConverter.CHAR_IDS, 3, where);
      long[] layerShape = shape(outputs, ElmoOnnxConverter.LAYERS, 4, where);
      this.layers = (int) layerShape[0];
      this.dim = (int) layerShape[3];
      this.lstmLayers = layers - 1;
      this.projectionDim = dim / 2;
      this.charIds = new ElmoCharIds((int) idShape[2]);
      this.stateful = inputs.containsKey(ElmoOnnxConverter.H_IN);
      this.cellDim =
          stateful ? (int) shape(inputs, ElmoOnnxConverter.C_IN, 4, where)[3] : projectionDim;
      if (layers < 2 || dim < 2 || dim % 2 != 0) {
        throw new ElmoFormatException(
            where
                + ": output 'layers' has shape "
                + java.util.Arrays.toString(layerShape)
                + "; expected [L + 1, batch, time, 2P]");
      }
    } catch (OrtException e) {
      close(s, options);
      throw new ElmoFormatException(
          (file != null ? file : "converted ELMo model")
              + ": ONNX Runtime cannot load it: "
              + e.getMessage(),
          e);
    } catch (RuntimeException e) {
      close(s, options);
      throw e;
    }
    this.sessionOptions = options;
    this.session = s;
  }

  /** Loads an ONNX model written by {@code rillet convert-elmo}. */
  public static ElmoModel load(Path onnxFile, int intraOpThreads) {
    if (!Files.isRegularFile(onnxFile)) {
      throw new ElmoFormatException("ELMo model file " + onnxFile + " does not exist");
    }
    return new ElmoModel(null, onnxFile, intraOpThreads);
  }

  /** Reads an options.json + weights.hdf5 pair and converts it in memory. */
  public static ElmoModel convert(
      Path optionsJson, Path weightsHdf5, boolean stateful, int intraOpThreads) throws IOException {
    if (!Files.isRegularFile(optionsJson)) {
      throw new ElmoFormatException("ELMo options file " + optionsJson + " does not exist");
    }
    ElmoOptions options = ElmoOptions.read(optionsJson);
    return convert(options, ElmoWeights.read(weightsHdf5, options), stateful, intraOpThreads);
  }

  /** Converts options + weights already in memory. */
  public static ElmoModel convert(
      ElmoOptions options, ElmoWeights weights, boolean stateful, int intraOpThreads) {
    byte[] onnx = ElmoOnnxConverter.convert(options, weights, stateful).toByteArray();
    return new ElmoModel(onnx, null, intraOpThreads);
  }

  /** L + 1: the number of layers in each result. */
  public int layers() {
    return layers;
  }

  /** 2P: the width of each layer's vectors. */
  public int dim() {
    return dim;
  }

  /** True when the model has LSTM state inputs and outputs. */
  public boolean stateful() {
    return stateful;
  }

  /** Width of a token's character-id row (max_characters_per_token). */
  public int maxCharactersPerToken() {
    return charIds.width();
  }

  /** A zero state for one stream of this (stateful) model. */
  public ElmoState newState() {
    requireStateful();
    return new ElmoState(lstmLayers, projectionDim, cellDim);
  }

  /**
   * Runs a batch of sentences, each from zero LSTM state.
   *
   * @param sentences tokenised sentences (without markers); empty sentences are allowed
   * @return one result per sentence, in order
   */
  public List<ElmoLayers> embed(List<? extends List<String>> sentences) {
    return run(sentences, null);
  }

  /**
   * Runs a batch of sentences of a stateful model, sentence i starting from {@code states.get(i)},
   * which is then overwritten with its state after the sentence.
   *
   * @throws IllegalStateException when the model is not stateful
   * @throws IllegalArgumentException when the list sizes or a state's dimensions do not match
   */
  public List<ElmoLayers> embed(List<? extends List<String>> sentences, List<ElmoState> states) {
    requireStateful();
    if (states.size() != sentences.size()) {
      throw new IllegalArgumentException(
          states.size() + " states for " + sentences.size() + " sentences");
    }
    for (ElmoState s : states) {
      if (s.layers() != lstmLayers
          || s.projectionDim() != projectionDim
          || s.cellDim() != cellDim) {
        throw new IllegalArgumentException("state does not fit this model; use newState()");
      }
    }
    return run(sentences, states);
  }

  private synchronized List<ElmoLayers> run(
      List<? extends List<String>> sentences, List<ElmoState> states) {
    int batch = sentences.size();
    if (batch == 0) {
      return List.of();
    }
    int maxTokens = 0;
    for (List<String> s : sentences) {
      maxTokens = Math.max(maxTokens, s.size());
    }
    int time = maxTokens + 2;
    int width = charIds.width();
    int rowIds = time * width;
    if (ids.length < batch * rowIds) {
      ids = new int[batch * rowIds];
    }
    for (int b = 0; b < batch; b++) {
      charIds.sentence(sentences.get(b), time, ids, b * rowIds);
    }
    idBytes = ensure(idBytes, 4L * batch * rowIds);
    IntBuffer idBuffer = idBytes.asIntBuffer();
    idBuffer.put(ids, 0, batch * rowIds).flip();
    long outFloats = (long) layers * batch * time * dim;
    outBytes = ensure(outBytes, 4 * outFloats);
    FloatBuffer out = outBytes.asFloatBuffer().limit((int) outFloats);

    Map<String, OnnxTensor> inputs = new HashMap<>();
    Map<String, OnnxValue> pinned = new HashMap<>();
    try {
      inputs.put(
          ElmoOnnxConverter.CHAR_IDS,
          OnnxTensor.createTensor(env, idBuffer, new long[] {batch, time, width}));
      pinned.put(
          ElmoOnnxConverter.LAYERS,
          OnnxTensor.createTensor(env, out, new long[] {layers, batch, time, dim}));
      FloatBuffer hOut = null;
      FloatBuffer cOut = null;
      if (stateful) {
        int hSize = 2 * lstmLayers * batch * projectionDim;
        int cSize = 2 * lstmLayers * batch * cellDim;
        hBytes = ensure(hBytes, 4L * hSize);
        cBytes = ensure(cBytes, 4L * cSize);
        hOutBytes = ensure(hOutBytes, 4L * hSize);
        cOutBytes = ensure(cOutBytes, 4L * cSize);
        FloatBuffer hIn = hBytes.asFloatBuffer().limit(hSize);
        FloatBuffer cIn = cBytes.asFloatBuffer().limit(cSize);
        gatherStates(states, batch, hIn, cIn);
        hOut = hOutBytes.asFloatBuffer().limit(hSize);
        cOut = cOutBytes.asFloatBuffer().limit(cSize);
        long[] hShape = {2, lstmLayers, batch, projectionDim};
        long[] cShape = {2, lstmLayers, batch, cellDim};
        inputs.put(ElmoOnnxConverter.H_IN, OnnxTensor.createTensor(env, hIn, hShape));
        inputs.put(ElmoOnnxConverter.C_IN, OnnxTensor.createTensor(env, cIn, cShape));
        pinned.put(ElmoOnnxConverter.H_OUT, OnnxTensor.createTensor(env, hOut, hShape));
        pinned.put(ElmoOnnxConverter.C_OUT, OnnxTensor.createTensor(env, cOut, cShape));
      }
      session.run(inputs, pinned).close();
      if (states != null) {
        scatterStates(states, batch, hOut, cOut);
      }
    } catch (OrtException e) {
      throw new IllegalStateException("ELMo inference failed: " + e.getMessage(), e);
    } finally {
      inputs.values().forEach(OnnxTensor::close);
      pinned.values().forEach(OnnxValue::close);
    }

    List<ElmoLayers> results = new ArrayList<>(batch);
    for (int b = 0; b < batch; b++) {
      int n = sentences.get(b).size();
      float[] data = new float[layers * n * dim];
      for (int l = 0; l < layers; l++) {
        // Position 1 is the first token (0 is <S>); n positions from there.
        out.get(((l * batch + b) * time + 1) * dim, data, l * n * dim, n * dim);
      }
      results.add(new ElmoLayers(layers, n, dim, data));
    }
    return results;
  }

  /** Copies each row's state into [2, L, B, X] input buffers (zeros when states is null). */
  private void gatherStates(List<ElmoState> states, int batch, FloatBuffer hIn, FloatBuffer cIn) {
    for (int dk = 0; dk < 2 * lstmLayers; dk++) {
      for (int b = 0; b < batch; b++) {
        int hAt = (dk * batch + b) * projectionDim;
        int cAt = (dk * batch + b) * cellDim;
        if (states == null) {
          for (int i = 0; i < projectionDim; i++) {
            hIn.put(hAt + i, 0f);
          }
          for (int i = 0; i < cellDim; i++) {
            cIn.put(cAt + i, 0f);
          }
        } else {
          hIn.put(hAt, states.get(b).h(), dk * projectionDim, projectionDim);
          cIn.put(cAt, states.get(b).c(), dk * cellDim, cellDim);
        }
      }
    }
  }

  private void scatterStates(
      List<ElmoState> states, int batch, FloatBuffer hOut, FloatBuffer cOut) {
    for (int dk = 0; dk < 2 * lstmLayers; dk++) {
      for (int b = 0; b < batch; b++) {
        hOut.get(
            (dk * batch + b) * projectionDim, states.get(b).h(), dk * projectionDim, projectionDim);
        cOut.get((dk * batch + b) * cellDim, states.get(b).c(), dk * cellDim, cellDim);
      }
    }
  }

  private static ByteBuffer ensure(ByteBuffer buffer, long bytes) {
    if (bytes > Integer.MAX_VALUE) {
      throw new IllegalArgumentException("batch too large: " + bytes + " bytes of tensor");
    }
    if (buffer.capacity() < bytes) {
      long grown = Math.min(Integer.MAX_VALUE, Math.max(bytes, 2L * buffer.capacity()));
      buffer = ByteBuffer.allocateDirect((int) grown);
    }
    buffer.clear();
    return buffer.order(ByteOrder.nativeOrder());
  }

  private void requireStateful() {
    if (!stateful) {
      throw new IllegalStateException(
          "this ELMo model is stateless; convert it with stateful = true (--stateful)");
    }
  }

  private static long[] shape(Map<String, NodeInfo> infos, String name, int rank, String where) {
    NodeInfo info = infos.get(name);
    if (info == null || !(info.getInfo() instanceof TensorInfo t) || t.getShape().length != rank) {
      throw new ElmoFormatException(
          where
              + ": not an ELMo model from rillet convert-elmo (needs a rank-"
              + rank
              + " tensor '"
              + name
              + "'; has "
              + infos.keySet()
              + ")");
    }
    return t.getShape();
  }

  private static void close(OrtSession s, OrtSession.SessionOptions options) {
    try {
      if (s != null) {
        s.close();
      }
    } catch (OrtException ignored) {
      // already failing; the first error is the one to report
    } finally {
      options.close();
    }
  }

  @Override
  public synchronized void close() {
    close(session, sessionOptions);
  }
}
