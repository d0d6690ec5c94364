package dev.rillet.elmo.runtime;

import ai.onnxruntime.NodeInfo;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.TensorInfo;
import dev.rillet.elmo.conversion.ElmoCharIds;
import dev.rillet.elmo.conversion.ElmoFormatException;
import dev.rillet.elmo.conversion.ElmoOnnxConverter;
import dev.rillet.elmo.conversion.ElmoOptions;
import dev.rillet.elmo.conversion.ElmoWeights;
import dev.rillet.onnx.OrtSettings;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.IntBuffer;
import java.nio.LongBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.flink.annotation.PublicEvolving;

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
 * <p>Token-vector cache (on by default when converting from options + weights, {@link
 * #DEFAULT_TOKEN_CACHE_SIZE}; off with {@code tokenCacheSize} 0; it made the published small shape
 * 1.3-2.7x faster on SST sentences, see docs/elmo.md): a token's layer-0 vector (char CNN,
 * highways, projection) depends on its string alone, so a model with a cache runs the split graphs
 * of {@link ElmoOnnxConverter}: per batch the token encoder only for the distinct tokens not among
 * the {@code tokenCacheSize} most recently used (LRU), then the biLSTM on the vectors. The {@code
 * <S>}/{@code </S>} vectors are computed once at load. Results equal the uncached model's within
 * float rounding; {@link #tokenCacheStats} counts hits.
 *
 * <p>Ownership: the model owns its {@link OrtSession} (and its options) and closes them in {@link
 * #close}; the {@link OrtEnvironment} is the process-wide one and is never closed. Calls to {@link
 * #embed} are serialised (the input and output buffers are reused across calls); the session itself
 * uses {@code intraOpThreads} threads per call.
 */
@PublicEvolving
public final class ElmoModel implements AutoCloseable {
  /**
   * Token vectors a model made with a cache keeps by default: a few tens of thousands of tokens
   * cover nearly all running text (Zipf), for {@code 4 * P} bytes each (16 MB at P = 128).
   */
  public static final int DEFAULT_TOKEN_CACHE_SIZE = 32_768;

  private final OrtEnvironment env;
  private final OrtSession.SessionOptions sessionOptions;
  private final OrtSession session;
  // Split form only (null otherwise): the token encoder and the cache of its outputs.
  private final OrtSession encoder;
  private final TokenVectorCache cache;
  private final int layers;
  private final int dim;
  private final int lstmLayers;
  private final int projectionDim;
  private final int cellDim;
  private final boolean stateful;
  private final ElmoCharIds charIds;
  // Split form: the vectors of <S> and </S>, computed once at load.
  private final float[] markerVectors;

  // Reused across calls: grown when a batch needs more, never shrunk.
  private int[] ids = new int[0];
  private ByteBuffer idBytes = ByteBuffer.allocateDirect(0);
  private ByteBuffer outBytes = ByteBuffer.allocateDirect(0);
  private ByteBuffer hBytes = ByteBuffer.allocateDirect(0);
  private ByteBuffer cBytes = ByteBuffer.allocateDirect(0);
  private ByteBuffer hOutBytes = ByteBuffer.allocateDirect(0);
  private ByteBuffer cOutBytes = ByteBuffer.allocateDirect(0);
  // Split form: contextual inputs, the encoder's output and each position's row in it.
  private ByteBuffer vectorBytes = ByteBuffer.allocateDirect(0);
  private ByteBuffer lengthBytes = ByteBuffer.allocateDirect(0);
  private ByteBuffer encodedBytes = ByteBuffer.allocateDirect(0);
  private int[] encodedRow = new int[0];
  private final Map<String, Integer> missRows = new HashMap<>();
  private final List<String> missTokens = new ArrayList<>();
  private long lookups;
  private long hits;
  private long encoded;

  /** An ONNX model given as bytes (converted in memory) or as a file. */
  private record Graph(byte[] bytes, Path file) {
    OrtSession open(OrtEnvironment env, OrtSession.SessionOptions options) throws OrtException {
      return bytes != null
          ? env.createSession(bytes, options)
          : env.createSession(file.toString(), options);
    }

    String where() {
      return file != null ? file.toString() : "converted ELMo model";
    }
  }

  private ElmoModel(Graph main, Graph tokenEncoder, OrtSettings settings, int tokenCacheSize) {
    if (tokenCacheSize < 0) {
      throw new IllegalArgumentException("tokenCacheSize must be >= 0, got " + tokenCacheSize);
    }
    this.env = OrtEnvironment.getEnvironment();
    OrtSession.SessionOptions options = new OrtSession.SessionOptions();
    OrtSession s = null;
    OrtSession e = null;
    String where = main.where();
    try {
      settings.configure(options);
      s = main.open(env, options);
      Map<String, NodeInfo> inputs = s.getInputInfo();
      Map<String, NodeInfo> outputs = s.getOutputInfo();
      // The input first: a non-ELMo file is told apart by its missing char_ids / token_vectors.
      long[] inputShape =
          tokenEncoder == null
              ? shape(inputs, ElmoOnnxConverter.CHAR_IDS, 3, where)
              : shape(inputs, ElmoOnnxConverter.TOKEN_VECTORS, 3, where);
      long[] layerShape = shape(outputs, ElmoOnnxConverter.LAYERS, 4, where);
      this.layers = (int) layerShape[0];
      this.dim = (int) layerShape[3];
      this.lstmLayers = layers - 1;
      this.projectionDim = dim / 2;
      if (tokenEncoder == null) {
        this.charIds = new ElmoCharIds((int) inputShape[2]);
      } else {
        shape(inputs, ElmoOnnxConverter.LENGTHS, 1, where);
        e = tokenEncoder.open(env, options);
        String encoderWhere = tokenEncoder.where();
        long[] idShape = shape(e.getInputInfo(), ElmoOnnxConverter.CHAR_IDS, 2, encoderWhere);
        long[] vectorShape =
            shape(e.getOutputInfo(), ElmoOnnxConverter.TOKEN_VECTORS, 2, encoderWhere);
        if (vectorShape[1] != projectionDim) {
          throw new ElmoFormatException(
              encoderWhere
                  + ": token vectors of "
                  + vectorShape[1]
                  + " floats do not fit "
                  + where
                  + " (P = "
                  + projectionDim
                  + ")");
        }
        this.charIds = new ElmoCharIds((int) idShape[1]);
      }
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
    } catch (OrtException x) {
      close(e, s, options);
      throw new ElmoFormatException(where + ": ONNX Runtime cannot load it: " + x.getMessage(), x);
    } catch (RuntimeException x) {
      close(e, s, options);
      throw x;
    }
    this.sessionOptions = options;
    this.session = s;
    this.encoder = e;
    if (e != null) {
      this.cache = new TokenVectorCache(tokenCacheSize, projectionDim);
      this.markerVectors = new float[2 * projectionDim];
      encodeMarkers();
    } else {
      this.cache = null;
      this.markerVectors = null;
    }
  }

  /**
   * Loads an ONNX model written by {@code rillet convert-elmo}: the single graph, so no token cache
   * (for one, load the split form or convert from options + weights).
   */
  public static ElmoModel load(Path onnxFile, int intraOpThreads) {
    return load(onnxFile, OrtSettings.of(intraOpThreads));
  }

  /** As {@link #load(Path, int)}, with sessions made with {@code settings}. */
  public static ElmoModel load(Path onnxFile, OrtSettings settings) {
    requireFile(onnxFile);
    return new ElmoModel(new Graph(null, onnxFile), null, settings, 0);
  }

  /**
   * Loads the split form ({@link ElmoOnnxConverter#convertTokenEncoder} and {@link
   * ElmoOnnxConverter#convertContextual} written to files) with a cache of up to {@code
   * tokenCacheSize} token vectors (0: the token encoder runs on every token).
   */
  public static ElmoModel load(
      Path tokenEncoderFile, Path contextualFile, int intraOpThreads, int tokenCacheSize) {
    return load(tokenEncoderFile, contextualFile, OrtSettings.of(intraOpThreads), tokenCacheSize);
  }

  /** As {@link #load(Path, Path, int, int)}, with sessions made with {@code settings}. */
  public static ElmoModel load(
      Path tokenEncoderFile, Path contextualFile, OrtSettings settings, int tokenCacheSize) {
    requireFile(tokenEncoderFile);
    requireFile(contextualFile);
    return new ElmoModel(
        new Graph(null, contextualFile),
        new Graph(null, tokenEncoderFile),
        settings,
        tokenCacheSize);
  }

  private static void requireFile(Path onnxFile) {
    if (!Files.isRegularFile(onnxFile)) {
      throw new ElmoFormatException("ELMo model file " + onnxFile + " does not exist");
    }
  }

  /**
   * Reads an options.json + weights.hdf5 pair and converts it in memory, with a token-vector cache
   * of {@link #DEFAULT_TOKEN_CACHE_SIZE} (the 5-argument form with 0 turns it off).
   */
  public static ElmoModel convert(
      Path optionsJson, Path weightsHdf5, boolean stateful, int intraOpThreads) throws IOException {
    return convert(optionsJson, weightsHdf5, stateful, OrtSettings.of(intraOpThreads));
  }

  /** As {@link #convert(Path, Path, boolean, int)}, with sessions made with {@code settings}. */
  public static ElmoModel convert(
      Path optionsJson, Path weightsHdf5, boolean stateful, OrtSettings settings)
      throws IOException {
    return convert(optionsJson, weightsHdf5, stateful, settings, DEFAULT_TOKEN_CACHE_SIZE);
  }

  /**
   * Reads an options.json + weights.hdf5 pair and converts it in memory, with a cache of up to
   * {@code tokenCacheSize} token vectors (0: no cache, the single graph).
   */
  public static ElmoModel convert(
      Path optionsJson, Path weightsHdf5, boolean stateful, int intraOpThreads, int tokenCacheSize)
      throws IOException {
    return convert(
        optionsJson, weightsHdf5, stateful, OrtSettings.of(intraOpThreads), tokenCacheSize);
  }

  private static ElmoModel convert(
      Path optionsJson,
      Path weightsHdf5,
      boolean stateful,
      OrtSettings settings,
      int tokenCacheSize)
      throws IOException {
    if (!Files.isRegularFile(optionsJson)) {
      throw new ElmoFormatException("ELMo options file " + optionsJson + " does not exist");
    }
    ElmoOptions options = ElmoOptions.read(optionsJson);
    return convert(
        options, ElmoWeights.read(weightsHdf5, options), stateful, settings, tokenCacheSize);
  }

  /**
   * Converts options + weights already in memory, with a token-vector cache of {@link
   * #DEFAULT_TOKEN_CACHE_SIZE} (the 5-argument form with 0 turns it off).
   */
  public static ElmoModel convert(
      ElmoOptions options, ElmoWeights weights, boolean stateful, int intraOpThreads) {
    return convert(
        options, weights, stateful, OrtSettings.of(intraOpThreads), DEFAULT_TOKEN_CACHE_SIZE);
  }

  /**
   * Converts options + weights already in memory. With {@code tokenCacheSize > 0} the model runs
   * the split form: the char CNN, highways and projection only for the tokens of a batch that are
   * not among the {@code tokenCacheSize} most recently used, then the biLSTM on the vectors; with 0
   * the single graph of {@link ElmoOnnxConverter#convert}. Both give the same results (within float
   * rounding, ~1e-6).
   */
  public static ElmoModel convert(
      ElmoOptions options,
      ElmoWeights weights,
      boolean stateful,
      int intraOpThreads,
      int tokenCacheSize) {
    return convert(options, weights, stateful, OrtSettings.of(intraOpThreads), tokenCacheSize);
  }

  /** As {@link #convert(ElmoOptions, ElmoWeights, boolean, int, int)}, with {@code settings}. */
  public static ElmoModel convert(
      ElmoOptions options,
      ElmoWeights weights,
      boolean stateful,
      OrtSettings settings,
      int tokenCacheSize) {
    if (tokenCacheSize == 0) {
      byte[] onnx = ElmoOnnxConverter.convert(options, weights, stateful).toByteArray();
      return new ElmoModel(new Graph(onnx, null), null, settings, 0);
    }
    byte[] encoder = ElmoOnnxConverter.convertTokenEncoder(options, weights).toByteArray();
    byte[] contextual =
        ElmoOnnxConverter.convertContextual(options, weights, stateful).toByteArray();
    return new ElmoModel(
        new Graph(contextual, null), new Graph(encoder, null), settings, tokenCacheSize);
  }

  /**
   * The most token vectors this model caches: 0 when it has no cache (the single graph, or the
   * split form loaded with size 0).
   */
  public int tokenCacheSize() {
    return cache == null ? 0 : cache.capacity();
  }

  /**
   * Counts since the model was made: token positions looked up in the cache, those found there, and
   * tokens the encoder ran on (each distinct missing token of a batch once). All zero without a
   * cache.
   */
  public synchronized TokenCacheStats tokenCacheStats() {
    return new TokenCacheStats(
        lookups, hits, encoded, cache == null ? 0 : cache.size(), tokenCacheSize());
  }

  /**
   * Token-vector cache counters (see {@link #tokenCacheStats}); {@code entries <= capacity}.
   *
   * @param lookups token positions (markers excluded) of all batches
   * @param hits positions whose vector came from the cache
   * @param encoded tokens run through the char CNN (a token missing twice in a batch counts once)
   * @param entries vectors now cached
   * @param capacity most vectors cached
   */
  public record TokenCacheStats(long lookups, long hits, long encoded, int entries, int capacity) {
    /** Share of positions found in the cache (0 with no lookups). */
    public double hitRate() {
      return lookups == 0 ? 0 : (double) hits / lookups;
    }

    /** Share of positions whose vector the char CNN did not compute (0 with no lookups). */
    public double savedRate() {
      return lookups == 0 ? 0 : 1 - (double) encoded / lookups;
    }
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
    long outFloats = (long) layers * batch * time * dim;
    outBytes = ensure(outBytes, 4 * outFloats);
    FloatBuffer out = outBytes.asFloatBuffer().limit((int) outFloats);

    Map<String, OnnxTensor> inputs = new HashMap<>();
    Map<String, OnnxValue> pinned = new HashMap<>();
    try {
      if (encoder == null) {
        inputs.put(ElmoOnnxConverter.CHAR_IDS, charIdTensor(sentences, batch, time));
      } else {
        tokenVectorInputs(sentences, batch, time, inputs);
      }
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

  /** The single graph's input: every sentence's char ids, [B, T + 2, W]. */
  private OnnxTensor charIdTensor(List<? extends List<String>> sentences, int batch, int time)
      throws OrtException {
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
    return OnnxTensor.createTensor(env, idBuffer, new long[] {batch, time, width});
  }

  /**
   * The contextual graph's inputs: token vectors [B, T + 2, P] from the cache where it has them and
   * from one token-encoder run over the batch's distinct other tokens, and the lengths.
   */
  private void tokenVectorInputs(
      List<? extends List<String>> sentences, int batch, int time, Map<String, OnnxTensor> inputs)
      throws OrtException {
    int p = projectionDim;
    int width = charIds.width();
    int positions = batch * time;
    vectorBytes = ensure(vectorBytes, 4L * positions * p);
    FloatBuffer vectors = vectorBytes.asFloatBuffer().limit(positions * p);
    lengthBytes = ensure(lengthBytes, 8L * batch);
    LongBuffer lengths = lengthBytes.asLongBuffer().limit(batch);
    if (encodedRow.length < positions) {
      encodedRow = new int[positions];
    }
    missRows.clear();
    missTokens.clear();
    for (int b = 0; b < batch; b++) {
      List<String> tokens = sentences.get(b);
      int n = tokens.size();
      int base = b * time;
      vectors.put(base * p, markerVectors, 0, p);
      for (int t = 0; t < n; t++) {
        int pos = base + 1 + t;
        String token = tokens.get(t);
        lookups++;
        if (cache.copyTo(token, vectors, pos * p)) {
          hits++;
          encodedRow[pos] = -1;
          continue;
        }
        // A hit copies its vector now, so evictions by this batch's misses cannot touch it.
        Integer row = missRows.get(token);
        if (row == null) {
          row = missTokens.size();
          missRows.put(token, row);
          missTokens.add(token);
          if (ids.length < (row + 1) * width) {
            ids = java.util.Arrays.copyOf(ids, Math.max((row + 1) * width, 2 * ids.length));
          }
          charIds.token(token, ids, row * width);
        }
        encodedRow[pos] = row;
      }
      vectors.put((base + n + 1) * p, markerVectors, p, p);
      // Padding: ignored by the graph (multiplied by 0); zeros keep stale values out of it.
      for (int i = (base + n + 2) * p; i < (base + time) * p; i++) {
        vectors.put(i, 0f);
      }
      lengths.put(b, n + 2);
    }
    int misses = missTokens.size();
    if (misses > 0) {
      FloatBuffer encodedVectors = encode(misses);
      for (int b = 0; b < batch; b++) {
        int n = sentences.get(b).size();
        for (int pos = b * time + 1; pos <= b * time + n; pos++) {
          int row = encodedRow[pos];
          if (row >= 0) {
            vectors.put(pos * p, encodedVectors, row * p, p);
          }
        }
      }
      for (int i = 0; i < misses; i++) {
        cache.put(missTokens.get(i), encodedVectors, i * p);
      }
      encoded += misses;
    }
    inputs.put(
        ElmoOnnxConverter.TOKEN_VECTORS,
        OnnxTensor.createTensor(env, vectors, new long[] {batch, time, p}));
    inputs.put(
        ElmoOnnxConverter.LENGTHS, OnnxTensor.createTensor(env, lengths, new long[] {batch}));
  }

  /** Runs the token encoder on the first {@code rows} rows of {@link #ids}; returns [rows, P]. */
  private FloatBuffer encode(int rows) throws OrtException {
    int width = charIds.width();
    idBytes = ensure(idBytes, 4L * rows * width);
    IntBuffer idBuffer = idBytes.asIntBuffer();
    idBuffer.put(ids, 0, rows * width).flip();
    encodedBytes = ensure(encodedBytes, 4L * rows * projectionDim);
    FloatBuffer result = encodedBytes.asFloatBuffer().limit(rows * projectionDim);
    try (OnnxTensor in = OnnxTensor.createTensor(env, idBuffer, new long[] {rows, width});
        OnnxTensor out = OnnxTensor.createTensor(env, result, new long[] {rows, projectionDim})) {
      encoder
          .run(Map.of(ElmoOnnxConverter.CHAR_IDS, in), Map.of(ElmoOnnxConverter.TOKEN_VECTORS, out))
          .close();
    }
    return result;
  }

  /** Fills {@link #markerVectors} with the vectors of {@code <S>} and {@code </S>}. */
  private void encodeMarkers() {
    int width = charIds.width();
    if (ids.length < 2 * width) {
      ids = new int[2 * width];
    }
    charIds.sentenceStart(ids, 0);
    charIds.sentenceEnd(ids, width);
    try {
      encode(2).get(0, markerVectors, 0, 2 * projectionDim);
    } catch (OrtException | RuntimeException e) {
      close();
      throw new ElmoFormatException(
          "ELMo token encoder failed on the markers: " + e.getMessage(), e);
    }
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

  private static void close(OrtSession encoder, OrtSession s, OrtSession.SessionOptions options) {
    for (OrtSession each : new OrtSession[] {encoder, s}) {
      try {
        if (each != null) {
          each.close();
        }
      } catch (OrtException ignored) {
        // already failing, or closing: nothing the caller could do about it
      }
    }
    options.close();
  }

  @Override
  public synchronized void close() {
    close(encoder, session, sessionOptions);
  }
}
