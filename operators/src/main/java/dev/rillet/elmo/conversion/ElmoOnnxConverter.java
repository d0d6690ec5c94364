package dev.rillet.elmo.conversion;

import dev.rillet.onnx.graph.Attribute;
import dev.rillet.onnx.graph.ElemType;
import dev.rillet.onnx.graph.OnnxGraph;
import dev.rillet.onnx.graph.OnnxModelWriter;
import dev.rillet.onnx.graph.ProtoMessage;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.flink.annotation.Internal;

/**
 * Converts an ELMo {@link ElmoOptions} + {@link ElmoWeights} pair into an ONNX model (opset 17)
 * that computes what bilm-tf computes, without Python. The graph's contract:
 *
 * <ul>
 *   <li>input {@value #CHAR_IDS} int32 {@code [batch, time, W]} (W = {@code
 *       max_characters_per_token}, 50): per sentence {@code <S>}, its tokens, {@code </S>}, then
 *       all-zero rows as padding, as written by {@link ElmoCharIds#sentence}. A position is real
 *       when any of its ids is non-zero, so each sentence's length ({@code tokens + 2}) is read
 *       from the ids themselves; padding must only follow a sentence's {@code </S>}.
 *   <li>output {@value #LAYERS} float32 {@code [L + 1, batch, time, 2P]}: layer 0 is the token
 *       vector twice {@code [x, x]}, layer k the forward and backward outputs of LSTM layer k
 *       {@code [fwd_k, bwd_k]} (LSTM layers after the first add their input to their output when
 *       {@code use_skip_connections} is set; the recurrent state stays un-residualised). Marker
 *       positions are included; padded positions are 0. Each row's backward direction starts at its
 *       own {@code </S>}, so padding never changes a real position.
 *   <li>stateful models only: inputs {@value #H_IN} {@code [2, L, batch, P]} and {@value #C_IN}
 *       {@code [2, L, batch, H]} (direction 0 forward, 1 backward; layer; row) and outputs {@value
 *       #H_OUT} / {@value #C_OUT} of the same shapes: each direction's state after its last real
 *       step, i.e. the forward state after {@code </S>} and the backward state after {@code <S>} —
 *       what bilm-tf carries into the next batch. A stateless model starts from zeros.
 * </ul>
 *
 * <p>Split form, for callers that cache token vectors: {@link #convertTokenEncoder} (char ids of
 * single tokens to their context-free vectors) and {@link #convertContextual} (token vectors plus
 * lengths to the same outputs as above). Running the first on every position and feeding the second
 * gives the single graph's results; a token's vector depends on its string alone, so a caller may
 * compute it once and reuse it.
 *
 * <p>Char CNN: one Conv + ReduceMax per filter; the LSTMs (with projection and cell/projection
 * clipping, which ONNX's LSTM op cannot express) are a hand-written cell inside {@code Scan}, with
 * the input product {@code x·W} of all steps computed before the loop; the backward stack runs on
 * each row reversed over its own length ({@code ReverseSequence}). The model's metadata records
 * {@code rillet.kind = elmo} and the dimensions.
 */
@Internal
public final class ElmoOnnxConverter {
  /** Name of the character-id input. */
  public static final String CHAR_IDS = "char_ids";

  /** Split form: name of the token vectors (token encoder output, contextual graph input). */
  public static final String TOKEN_VECTORS = "token_vectors";

  /** Split form: name of the contextual graph's per-row length input (int64, tokens + 2). */
  public static final String LENGTHS = "lengths";

  /** Name of the layer-activations output. */
  public static final String LAYERS = "layers";

  /** Stateful models: initial projected LSTM state (h). */
  public static final String H_IN = "h_in";

  /** Stateful models: initial LSTM cell state (c). */
  public static final String C_IN = "c_in";

  /** Stateful models: final projected LSTM state (h). */
  public static final String H_OUT = "h_out";

  /** Stateful models: final LSTM cell state (c). */
  public static final String C_OUT = "c_out";

  /** TF's LSTMCell adds this to the forget gate; it is not stored in the weights. */
  private static final float FORGET_BIAS = 1.0f;

  private final ElmoOptions options;
  private final ElmoWeights weights;
  private final OnnxGraph g = new OnnxGraph("elmo");

  private ElmoOnnxConverter(ElmoOptions options, ElmoWeights weights) {
    this.options = options;
    this.weights = weights;
  }

  /**
   * Builds the ONNX model (encoded, weights by reference; write it with {@link
   * OnnxModelWriter#write} or {@link ProtoMessage#toByteArray}).
   *
   * @param stateful with LSTM state inputs and outputs
   */
  public static ProtoMessage convert(ElmoOptions options, ElmoWeights weights, boolean stateful) {
    return new ElmoOnnxConverter(options, weights).build(stateful);
  }

  /**
   * Builds the token encoder of the split form: input {@value #CHAR_IDS} int32 {@code [tokens, W]}
   * (one row per token, as written by {@link ElmoCharIds#token}, {@link ElmoCharIds#sentenceStart}
   * or {@link ElmoCharIds#sentenceEnd}), output {@value #TOKEN_VECTORS} float32 {@code [tokens,
   * P]}: the context-free token vector (char CNN, highways, projection) of each row, which depends
   * on that row alone. An all-zero (padding) row gives the vector of the padding id, not zeros; the
   * contextual graph zeroes padded positions itself.
   */
  public static ProtoMessage convertTokenEncoder(ElmoOptions options, ElmoWeights weights) {
    ElmoOnnxConverter c = new ElmoOnnxConverter(options, weights);
    OnnxGraph g = c.g;
    String ids = g.input(CHAR_IDS, ElemType.INT32, "tokens", options.maxCharactersPerToken());
    g.opNamed("Identity", List.of(c.tokenVectors(ids)), List.of(TOKEN_VECTORS));
    g.output(TOKEN_VECTORS, ElemType.FLOAT, "tokens", options.projectionDim());
    return OnnxModelWriter.model(g, "rillet convert-elmo", c.metadata(false, "token_encoder"));
  }

  /**
   * Builds the contextual part of the split form: the biLSTM over token vectors made by {@link
   * #convertTokenEncoder}. Inputs {@value #TOKEN_VECTORS} float32 {@code [batch, time, P]} (per
   * sentence the vectors of {@code <S>}, its tokens, {@code </S>}, then anything) and {@value
   * #LENGTHS} int64 {@code [batch]}: each row's real positions, {@code tokens + 2}, with {@code 2
   * <= lengths[b] <= time}. Positions at or past a row's length are padding: their vectors are
   * ignored (multiplied by 0). Output {@value #LAYERS} and, when stateful, the state inputs and
   * outputs are exactly those of {@link #convert}; feeding it the encoder's vectors gives the
   * single graph's results (within float rounding).
   */
  public static ProtoMessage convertContextual(
      ElmoOptions options, ElmoWeights weights, boolean stateful) {
    ElmoOnnxConverter c = new ElmoOnnxConverter(options, weights);
    OnnxGraph g = c.g;
    String x = g.input(TOKEN_VECTORS, ElemType.FLOAT, "batch", "time", options.projectionDim());
    String lengths = g.input(LENGTHS, ElemType.INT64, "batch");
    String shape = g.op("Shape", x);
    String time =
        g.op("Gather", List.of(shape, g.int64Scalar("time_axis", 1)), Attribute.of("axis", 0L));
    String positions =
        g.op("Range", g.int64Scalar("range_start", 0), time, g.int64Scalar("range_step", 1));
    // valid[b, s] = s < lengths[b]: the same mask the single graph reads from the char ids.
    String valid =
        g.op(
            "Less",
            g.op("Unsqueeze", positions, g.int64s("axis0", 0)),
            g.op("Unsqueeze", lengths, g.int64s("axis1", 1)));
    c.contextual(x, valid, lengths, c.slice(shape, 0, 1), stateful);
    return OnnxModelWriter.model(g, "rillet convert-elmo", c.metadata(stateful, "contextual"));
  }

  private ProtoMessage build(boolean stateful) {
    int w = options.maxCharactersPerToken();
    String ids = g.input(CHAR_IDS, ElemType.INT32, "batch", "time", w);

    // Real positions: any non-zero id (bilm-tf's mask). lengths = real positions per row.
    String maxId = g.op("ReduceMax", List.of(ids), Attribute.ints("axes", 2), keep(0));
    String valid = g.op("Greater", maxId, g.int32Scalar("zero_i", 0));
    String lengths =
        g.op("ReduceSum", List.of(cast(valid, ElemType.INT64), g.int64s("axis1", 1)), keep(0));
    String shape = g.op("Shape", ids);
    String batchTime = slice(shape, 0, 2);

    String flatIds = g.op("Reshape", ids, g.int64s("flat_ids", -1, w)); // [B * S, W]
    String outShape =
        g.op(
            "Concat",
            List.of(batchTime, g.int64s("p", options.projectionDim())),
            Attribute.of("axis", 0L));
    String x = g.op("Reshape", tokenVectors(flatIds), outShape); // [B, S, P]
    contextual(x, valid, lengths, slice(shape, 0, 1), stateful);
    return OnnxModelWriter.model(g, "rillet convert-elmo", metadata(stateful, null));
  }

  /**
   * The biLSTM over token vectors x [B, S, P] with the mask valid (bool [B, S]) and lengths (int64
   * [B]): declares the state inputs when stateful, and the {@value #LAYERS} (and state) outputs.
   */
  private void contextual(String x, String valid, String lengths, String batch, boolean stateful) {
    int p = options.projectionDim();
    int h = options.lstmDim();
    int nLayers = options.nLayers();
    String hIn = null;
    String cIn = null;
    if (stateful) {
      hIn = g.input(H_IN, ElemType.FLOAT, 2, nLayers, "batch", p);
      cIn = g.input(C_IN, ElemType.FLOAT, 2, nLayers, "batch", h);
    }
    String valid3 = g.op("Unsqueeze", valid, g.int64s("axis2", 2)); // bool [B, S, 1]
    String validF3 = cast(valid3, ElemType.FLOAT);
    x = g.op("Mul", x, validF3); // padded positions 0 in every layer

    List<String> fwd = new ArrayList<>();
    List<String> bwd = new ArrayList<>();
    List<String> hFinal = new ArrayList<>();
    List<String> cFinal = new ArrayList<>();
    for (int d = 0; d < 2; d++) {
      String input = d == 0 ? x : reverse(x, lengths);
      for (int k = 0; k < nLayers; k++) {
        String h0;
        String c0;
        if (stateful) {
          h0 = stateSlice(hIn, d, k);
          c0 = stateSlice(cIn, d, k);
        } else {
          h0 = zeros(batch, p);
          c0 = zeros(batch, h);
        }
        String[] scan = lstmLayer(d, k, input, h0, c0, valid3);
        String out = scan[2];
        if (k > 0 && options.skipConnections()) {
          out = g.op("Add", out, input);
        }
        (d == 0 ? fwd : bwd).add(d == 0 ? out : reverse(out, lengths));
        hFinal.add(scan[0]);
        cFinal.add(scan[1]);
        input = out;
      }
    }

    List<String> layers = new ArrayList<>();
    layers.add(unsqueeze0(g.op("Concat", List.of(x, x), Attribute.of("axis", 2L))));
    for (int k = 0; k < nLayers; k++) {
      layers.add(
          unsqueeze0(g.op("Concat", List.of(fwd.get(k), bwd.get(k)), Attribute.of("axis", 2L))));
    }
    g.opNamed("Concat", layers, List.of(LAYERS), Attribute.of("axis", 0L));
    g.output(LAYERS, ElemType.FLOAT, nLayers + 1, "batch", "time", 2 * p);
    if (stateful) {
      stackStates(hFinal, H_OUT);
      stackStates(cFinal, C_OUT);
      g.output(H_OUT, ElemType.FLOAT, 2, nLayers, "batch", p);
      g.output(C_OUT, ElemType.FLOAT, 2, nLayers, "batch", h);
    }
  }

  /** Model metadata; {@code part} names a graph of the split form (null: the single graph). */
  private Map<String, String> metadata(boolean stateful, String part) {
    Map<String, String> metadata = new LinkedHashMap<>();
    metadata.put("rillet.kind", "elmo");
    if (part != null) {
      metadata.put("rillet.elmo.part", part);
    }
    metadata.put("rillet.elmo.layers", String.valueOf(options.nLayers() + 1));
    metadata.put("rillet.elmo.projection_dim", String.valueOf(options.projectionDim()));
    metadata.put("rillet.elmo.lstm_dim", String.valueOf(options.lstmDim()));
    metadata.put(
        "rillet.elmo.max_characters_per_token", String.valueOf(options.maxCharactersPerToken()));
    metadata.put("rillet.elmo.stateful", String.valueOf(stateful));
    return metadata;
  }

  /** Char embedding, CNN, highways and projection: char ids [N, W] -> [N, P]. */
  private String tokenVectors(String ids) {
    int dim = options.charDim();
    // Row 0 is the padding id: zeros, then the 261 stored rows (id k -> stored row k - 1).
    float[] stored = weights.get("char_embed").data();
    float[] table = new float[stored.length + dim];
    System.arraycopy(stored, 0, table, dim, stored.length);
    String embed = g.floats("char_embed", table, ElmoWeights.CHAR_EMBED_ROWS + 1, dim);
    String chars = g.op("Gather", embed, ids); // [N, W, D]
    String channels = g.op("Transpose", List.of(chars), Attribute.ints("perm", 0, 2, 1));

    List<String> pooled = new ArrayList<>();
    for (int i = 0; i < options.numFilters(); i++) {
      int width = options.filterWidth(i);
      int count = options.filterCount(i);
      // HDF5 (1, width, D, count) -> Conv weight (count, D, width).
      float[] src = weights.get("CNN/W_cnn_" + i).data();
      float[] kernel = new float[src.length];
      for (int k = 0; k < width; k++) {
        for (int c = 0; c < dim; c++) {
          for (int o = 0; o < count; o++) {
            kernel[(o * dim + c) * width + k] = src[(k * dim + c) * count + o];
          }
        }
      }
      String conv =
          g.op(
              "Conv",
              channels,
              g.floats("W_cnn_" + i, kernel, count, dim, width),
              g.floats("b_cnn_" + i, weights.get("CNN/b_cnn_" + i).data(), count));
      String max = g.op("ReduceMax", List.of(conv), Attribute.ints("axes", 2), keep(0));
      pooled.add(g.op(options.activation() == ElmoOptions.Activation.RELU ? "Relu" : "Tanh", max));
    }
    String x =
        pooled.size() == 1 ? pooled.get(0) : g.op("Concat", pooled, Attribute.of("axis", 1L));

    int f = options.totalFilters();
    String one = g.floatScalar("one", 1f);
    for (int k = 0; k < options.nHighway(); k++) {
      String prefix = "CNN_high_" + k + "/";
      String carry = affine(x, prefix + "W_carry", prefix + "b_carry", f, f);
      String transform = affine(x, prefix + "W_transform", prefix + "b_transform", f, f);
      String t = g.op("Sigmoid", carry);
      String gated = g.op("Mul", t, g.op("Relu", transform));
      x = g.op("Add", gated, g.op("Mul", g.op("Sub", one, t), x));
    }
    if (options.tokenProjects()) {
      x = affine(x, "CNN_proj/W_proj", "CNN_proj/b_proj", f, options.projectionDim());
    }
    return x;
  }

  private String affine(String x, String weight, String bias, int in, int out) {
    String wName = g.floats(weight.replace('/', '_'), weights.get(weight).data(), in, out);
    String bName = g.floats(bias.replace('/', '_'), weights.get(bias).data(), out);
    return g.op("Add", g.op("MatMul", x, wName), bName);
  }

  /**
   * One direction of one LSTM layer over [B, S, P] inputs; returns {final h, final c, outputs [B,
   * S, P]} (outputs 0 at padded positions; the state stops changing after a row's last position).
   */
  private String[] lstmLayer(int d, int k, String input, String h0, String c0, String valid3) {
    int p = options.projectionDim();
    int h = options.lstmDim();
    float[] w0 = weights.get(ElmoWeights.lstmPath(d, k, "W_0")).data(); // [2P, 4H]
    float[] wx = new float[p * 4 * h];
    float[] wh = new float[p * 4 * h];
    System.arraycopy(w0, 0, wx, 0, wx.length);
    System.arraycopy(w0, wx.length, wh, 0, wh.length);
    float[] bias = weights.get(ElmoWeights.lstmPath(d, k, "B")).data().clone();
    for (int j = 2 * h; j < 3 * h; j++) {
      bias[j] += FORGET_BIAS; // gate order i, j, f, o
    }
    String tag = "lstm" + d + "_" + k;
    // x·W + b for every step at once, outside the recurrence.
    String xw =
        g.op(
            "Add",
            g.op("MatMul", input, g.floats(tag + "_Wx", wx, p, 4L * h)),
            g.floats(tag + "_b", bias, 4L * h));
    String whName = g.floats(tag + "_Wh", wh, p, 4L * h);
    String wpName =
        options.lstmProjects()
            ? g.floats(tag + "_Wp", weights.get(ElmoWeights.lstmPath(d, k, "W_P_0")).data(), h, p)
            : null;

    OnnxGraph body = g.subgraph(tag + "_cell");
    String hPrev = body.input(body.fresh("h_prev"), ElemType.FLOAT, "batch", p);
    String cPrev = body.input(body.fresh("c_prev"), ElemType.FLOAT, "batch", h);
    String xwT = body.input(body.fresh("xw_t"), ElemType.FLOAT, "batch", 4 * h);
    String validT = body.input(body.fresh("valid_t"), ElemType.BOOL, "batch", 1);
    String gates = body.op("Add", xwT, body.op("MatMul", hPrev, whName));
    String[] ijfo = body.op("Split", List.of(gates), 4, Attribute.of("axis", 1L));
    String c =
        body.op(
            "Add",
            body.op("Mul", body.op("Sigmoid", ijfo[2]), cPrev),
            body.op("Mul", body.op("Sigmoid", ijfo[0]), body.op("Tanh", ijfo[1])));
    if (options.cellClip().isPresent()) {
      c = clip(body, c, (float) options.cellClip().getAsDouble());
    }
    String hNew = body.op("Mul", body.op("Sigmoid", ijfo[3]), body.op("Tanh", c));
    if (wpName != null) {
      hNew = body.op("MatMul", hNew, wpName);
      if (options.projClip().isPresent()) {
        hNew = clip(body, hNew, (float) options.projClip().getAsDouble());
      }
    }
    String hNext = body.fresh("h_next");
    String cNext = body.fresh("c_next");
    String yT = body.fresh("y_t");
    // Past a row's end the state is held (so the final state is the last real step's) and the
    // output is 0.
    body.opNamed("Where", List.of(validT, hNew, hPrev), List.of(hNext));
    body.opNamed("Where", List.of(validT, c, cPrev), List.of(cNext));
    body.opNamed("Where", List.of(validT, hNew, body.floatScalar("zero_f", 0f)), List.of(yT));
    body.output(hNext, ElemType.FLOAT, "batch", p);
    body.output(cNext, ElemType.FLOAT, "batch", h);
    body.output(yT, ElemType.FLOAT, "batch", p);

    return g.op(
        "Scan",
        List.of(h0, c0, xw, valid3),
        3,
        Attribute.of("body", body),
        Attribute.of("num_scan_inputs", 2L),
        Attribute.ints("scan_input_axes", 1, 1),
        Attribute.ints("scan_output_axes", 1));
  }

  private static String clip(OnnxGraph graph, String x, float bound) {
    return graph.op(
        "Clip", x, graph.floatScalar("clip_min", -bound), graph.floatScalar("clip_max", bound));
  }

  private String reverse(String x, String lengths) {
    return g.op(
        "ReverseSequence",
        List.of(x, lengths),
        Attribute.of("batch_axis", 0L),
        Attribute.of("time_axis", 1L));
  }

  private String stateSlice(String state, int d, int k) {
    String dir = g.op("Gather", List.of(state, g.int64Scalar("dir", d)), Attribute.of("axis", 0L));
    return g.op("Gather", List.of(dir, g.int64Scalar("layer", k)), Attribute.of("axis", 0L));
  }

  private String zeros(String batch, int size) {
    String shape = g.op("Concat", List.of(batch, g.int64s("size", size)), Attribute.of("axis", 0L));
    return g.op("ConstantOfShape", List.of(shape), Attribute.tensor("value", new float[] {0f}, 1));
  }

  /** Stacks 2L states [B, X] (direction-major) into the named output [2, L, B, X]. */
  private void stackStates(List<String> states, String name) {
    int nLayers = options.nLayers();
    List<String> dirs = new ArrayList<>();
    for (int d = 0; d < 2; d++) {
      List<String> layers = new ArrayList<>();
      for (int k = 0; k < nLayers; k++) {
        layers.add(g.op("Unsqueeze", states.get(d * nLayers + k), g.int64s("axes", 0, 1)));
      }
      dirs.add(
          layers.size() == 1 ? layers.get(0) : g.op("Concat", layers, Attribute.of("axis", 1L)));
    }
    g.opNamed("Concat", dirs, List.of(name), Attribute.of("axis", 0L));
  }

  private String unsqueeze0(String x) {
    return g.op("Unsqueeze", x, g.int64s("axis0", 0));
  }

  private String slice(String x, long start, long end) {
    return g.op("Slice", x, g.int64s("start", start), g.int64s("end", end));
  }

  private String cast(String x, ElemType to) {
    return g.op("Cast", List.of(x), Attribute.of("to", (long) to.code()));
  }

  private static Attribute keep(long keepDims) {
    return Attribute.of("keepdims", keepDims);
  }
}
