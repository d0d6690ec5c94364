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
 * <p>Made by {@link #builder()}, the one way in: from a {@code rillet convert-elmo} file, from the
 * split form's two files, or converted in memory. Two implementations, one per graph form, share
 * everything else here: the single graph (character ids in, no cache) and the split form (token
 * encoder + contextual graph, with the cache).
 *
 * <p>Ownership: the model owns its {@link OrtSession}s (and their options) and closes them in
 * {@link #close}; the {@link OrtEnvironment} is the process-wide one and is never closed. Calls to
 * {@link #embed} are serialised (the input and output buffers are reused across calls); the session
 * itself uses {@code intraOpThreads} threads per call.
 */
@PublicEvolving
public abstract sealed class ElmoModel implements AutoCloseable
    permits SingleGraphElmo, SplitGraphElmo {
  /**
   * Token vectors a model made with a cache keeps by default: a few tens of thousands of tokens
   * cover nearly all running text (Zipf), for {@code 4 * P} bytes each (16 MB at P = 128).
   */
  public static final int DEFAULT_TOKEN_CACHE_SIZE = 32_768;

  final OrtEnvironment env;
  private final OrtSession.SessionOptions sessionOptions;
  private final OrtSession session;
  private final int layers;
  private final int dim;
  private final int lstmLayers;
  final int projectionDim;
  private final int cellDim;
  private final boolean stateful;
  final ElmoCharIds charIds;

  // Reused across calls: grown when a batch needs more, never shrunk.
  private ByteBuffer outBytes = ByteBuffer.allocateDirect(0);
  private ByteBuffer hBytes = ByteBuffer.allocateDirect(0);
  private ByteBuffer cBytes = ByteBuffer.allocateDirect(0);
  private ByteBuffer hOutBytes = ByteBuffer.allocateDirect(0);
  private ByteBuffer cOutBytes = ByteBuffer.allocateDirect(0);

  /** The sessions and sizes {@link #open} read from the graphs; the subclass takes ownership. */
  record Loaded(
      OrtEnvironment env,
      OrtSession.SessionOptions options,
      OrtSession session,
      OrtSession encoder,
      int layers,
      int dim,
      int cellDim,
      boolean stateful,
      ElmoCharIds charIds) {}

  ElmoModel(Loaded loaded) {
    this.env = loaded.env;
    this.sessionOptions = loaded.options;
    this.session = loaded.session;
    this.layers = loaded.layers;
    this.dim = loaded.dim;
    this.lstmLayers = layers - 1;
    this.projectionDim = dim / 2;
    this.cellDim = loaded.cellDim;
    this.stateful = loaded.stateful;
    this.charIds = loaded.charIds;
  }

  /** Starts a model: give one source, then {@link Builder#build()}. */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * The most token vectors this model caches: 0 when it has no cache (the single graph, or the
   * split form loaded with size 0).
   */
  public abstract int tokenCacheSize();

  /**
   * Counts since the model was made: token positions looked up in the cache, those found there, and
   * tokens the encoder ran on (each distinct missing token of a batch once). All zero without a
   * cache.
   */
  public abstract TokenCacheStats tokenCacheStats();

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

  /**
   * Puts the graph's sentence inputs for a batch padded to {@code time} positions (the markers
   * included) into {@code inputs}; the caller closes them after the run.
   */
  abstract void putSentenceInputs(
      List<? extends List<String>> sentences, int batch, int time, Map<String, OnnxTensor> inputs)
      throws OrtException;

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
      putSentenceInputs(sentences, batch, time, inputs);
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

  /**
   * {@code buffer}, or a larger one when it holds fewer than {@code bytes}; cleared, native order.
   */
  static ByteBuffer ensure(ByteBuffer buffer, long bytes) {
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

  /**
   * Opens the sessions of {@code main} (and of {@code tokenEncoder}, the split form's, or null) and
   * checks that they are ELMo graphs that fit together: a non-ELMo file is told apart by its
   * missing inputs, before anything else is read.
   *
   * @throws ElmoFormatException naming what is wrong, with nothing left open
   */
  static Loaded open(Graph main, Graph tokenEncoder, OrtSettings settings) {
    OrtEnvironment env = OrtEnvironment.getEnvironment();
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
      int layers = (int) layerShape[0];
      int dim = (int) layerShape[3];
      int projectionDim = dim / 2;
      ElmoCharIds charIds;
      if (tokenEncoder == null) {
        charIds = new ElmoCharIds((int) inputShape[2]);
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
        charIds = new ElmoCharIds((int) idShape[1]);
      }
      boolean stateful = inputs.containsKey(ElmoOnnxConverter.H_IN);
      int cellDim =
          stateful ? (int) shape(inputs, ElmoOnnxConverter.C_IN, 4, where)[3] : projectionDim;
      if (layers < 2 || dim < 2 || dim % 2 != 0) {
        throw new ElmoFormatException(
            where
                + ": output 'layers' has shape "
                + java.util.Arrays.toString(layerShape)
                + "; expected [L + 1, batch, time, 2P]");
      }
      return new Loaded(env, options, s, e, layers, dim, cellDim, stateful, charIds);
    } catch (OrtException x) {
      close(e, s, options);
      throw new ElmoFormatException(where + ": ONNX Runtime cannot load it: " + x.getMessage(), x);
    } catch (RuntimeException x) {
      close(e, s, options);
      throw x;
    }
  }

  /** Closes the sessions ({@code encoder} may be null), then their options; never throws. */
  static void close(OrtSession encoder, OrtSession s, OrtSession.SessionOptions options) {
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

  /** Closes the sessions and their options. */
  @Override
  public abstract void close();

  /** Closes this model's sessions, {@code encoder} (the split form's, else null) first. */
  final void closeSessions(OrtSession encoder) {
    close(encoder, session, sessionOptions);
  }

  /** An ONNX model given as bytes (converted in memory) or as a file. */
  record Graph(byte[] bytes, Path file) {
    OrtSession open(OrtEnvironment env, OrtSession.SessionOptions options) throws OrtException {
      return bytes != null
          ? env.createSession(bytes, options)
          : env.createSession(file.toString(), options);
    }

    String where() {
      return file != null ? file.toString() : "converted ELMo model";
    }
  }

  /**
   * Builds an {@link ElmoModel} from exactly one source: {@link #onnx} (a {@code rillet
   * convert-elmo} file), {@link #splitOnnx} (the split form's two files) or {@link #convert} (an
   * options + weights pair, as files or in memory). {@link #build()} reports every problem with the
   * settings in one message; a missing or malformed file is an {@link ElmoFormatException}.
   */
  public static final class Builder {
    /** The names of the sources given, in order; {@link #build()} wants exactly one. */
    private final List<String> given = new ArrayList<>();

    /** The last source given. */
    private Object source;

    private Boolean stateful;
    private Integer tokenCacheSize;
    private OrtSettings settings = OrtSettings.of(1);

    private Builder() {}

    /** A single-graph file written by {@code rillet convert-elmo}: no token cache. */
    public Builder onnx(Path file) {
      return source("onnx", new OnnxFile(file));
    }

    /**
     * The split form ({@link ElmoOnnxConverter#convertTokenEncoder} and {@link
     * ElmoOnnxConverter#convertContextual} written to files), with the token-vector cache.
     */
    public Builder splitOnnx(Path tokenEncoderFile, Path contextualFile) {
      return source("splitOnnx", new SplitOnnxFiles(tokenEncoderFile, contextualFile));
    }

    /** An options.json + weights.hdf5 pair, read and converted in memory. */
    public Builder convert(Path optionsJson, Path weightsHdf5) {
      return source("convert", new ElmoFiles(optionsJson, weightsHdf5));
    }

    /** Options + weights already in memory, converted. */
    public Builder convert(ElmoOptions options, ElmoWeights weights) {
      return source("convert", new InMemory(options, weights));
    }

    private Builder source(String name, Object source) {
      given.add(name);
      this.source = source;
      return this;
    }

    private record OnnxFile(Path file) {}

    private record SplitOnnxFiles(Path tokenEncoder, Path contextual) {}

    private record ElmoFiles(Path optionsJson, Path weightsHdf5) {}

    private record InMemory(ElmoOptions options, ElmoWeights weights) {}

    /**
     * Converts with LSTM state inputs and outputs (AllenNLP's stateful semantics). Conversion only
     * (default false): a file is stateful or not as it was converted ({@link ElmoModel#stateful()}
     * tells).
     */
    public Builder stateful(boolean stateful) {
      this.stateful = stateful;
      return this;
    }

    /**
     * Keeps up to {@code n} token vectors (0: none). Default {@link #DEFAULT_TOKEN_CACHE_SIZE} for
     * {@link #convert} (which then runs the split form; with 0 the single graph) and for {@link
     * #splitOnnx} (with 0 the token encoder runs on every token); {@link #onnx} takes none.
     */
    public Builder tokenCacheSize(int n) {
      this.tokenCacheSize = n;
      return this;
    }

    /** ONNX Runtime intra-op threads per call, on the default provider. Default 1. */
    public Builder intraOpThreads(int n) {
      this.settings = n >= 1 ? OrtSettings.of(n) : null;
      return this;
    }

    /** All ONNX Runtime settings at once (replaces {@link #intraOpThreads}). */
    public Builder ortSettings(OrtSettings settings) {
      this.settings = settings;
      return this;
    }

    /**
     * Loads or converts the model; the caller owns it.
     *
     * @throws IllegalArgumentException listing every problem with the settings
     * @throws ElmoFormatException when a file is missing or is not what it should be
     * @throws IOException when a file cannot be read
     */
    public ElmoModel build() throws IOException {
      List<String> problems = new ArrayList<>();
      Object source = given.size() == 1 ? this.source : null;
      if (source == null) {
        problems.add(
            (given.isEmpty() ? "no source" : "more than one source " + given)
                + ": give one of onnx, splitOnnx or convert");
      }
      if (settings == null) {
        problems.add("ortSettings is null, or intraOpThreads < 1: give at least one thread");
      }
      if (tokenCacheSize != null && tokenCacheSize < 0) {
        problems.add("tokenCacheSize must be >= 0, got " + tokenCacheSize);
      }
      boolean converting = source instanceof ElmoFiles || source instanceof InMemory;
      if (stateful != null && source != null && !converting) {
        problems.add(
            "stateful applies to conversion only: a file is stateful as it was converted"
                + " (check ElmoModel.stateful())");
      }
      if (source instanceof OnnxFile && tokenCacheSize != null && tokenCacheSize > 0) {
        problems.add(
            "a single-graph file runs without a token cache: load the split form (splitOnnx) or"
                + " convert from options + weights");
      }
      if (!problems.isEmpty()) {
        throw new IllegalArgumentException(
            "ElmoModel is not configured right:\n  - " + String.join("\n  - ", problems));
      }
      int cacheSize = tokenCacheSize == null ? DEFAULT_TOKEN_CACHE_SIZE : tokenCacheSize;
      if (source instanceof OnnxFile f) {
        requireFile(f.file);
        return new SingleGraphElmo(open(new Graph(null, f.file), null, settings));
      }
      if (source instanceof SplitOnnxFiles f) {
        requireFile(f.tokenEncoder);
        requireFile(f.contextual);
        return new SplitGraphElmo(
            open(new Graph(null, f.contextual), new Graph(null, f.tokenEncoder), settings),
            cacheSize);
      }
      InMemory pair;
      if (source instanceof ElmoFiles f) {
        if (!Files.isRegularFile(f.optionsJson)) {
          throw new ElmoFormatException("ELMo options file " + f.optionsJson + " does not exist");
        }
        ElmoOptions o = ElmoOptions.read(f.optionsJson);
        pair = new InMemory(o, ElmoWeights.read(f.weightsHdf5, o));
      } else {
        pair = (InMemory) source;
      }
      boolean withState = stateful != null && stateful;
      if (cacheSize == 0) {
        byte[] onnx =
            ElmoOnnxConverter.convert(pair.options, pair.weights, withState).toByteArray();
        return new SingleGraphElmo(open(new Graph(onnx, null), null, settings));
      }
      byte[] encoder =
          ElmoOnnxConverter.convertTokenEncoder(pair.options, pair.weights).toByteArray();
      byte[] contextual =
          ElmoOnnxConverter.convertContextual(pair.options, pair.weights, withState).toByteArray();
      return new SplitGraphElmo(
          open(new Graph(contextual, null), new Graph(encoder, null), settings), cacheSize);
    }

    private static void requireFile(Path onnxFile) {
      if (!Files.isRegularFile(onnxFile)) {
        throw new ElmoFormatException("ELMo model file " + onnxFile + " does not exist");
      }
    }
  }
}
