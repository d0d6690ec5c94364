package dev.rillet.onnx.graph;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.flink.annotation.Internal;

/**
 * Builds an ONNX {@code GraphProto}: typed inputs and outputs, float/int initializers (stored as
 * {@code raw_data}, kept by reference until written), and nodes whose output names are generated.
 *
 * <p>Names are unique across a graph and every subgraph made with {@link #subgraph}, as ONNX
 * requires (a subgraph may read the values of its enclosing graphs by name). Not thread-safe.
 */
@Internal
public final class OnnxGraph {
  // GraphProto / NodeProto / ValueInfoProto / TypeProto / TensorProto field numbers (onnx.proto).
  private static final int GRAPH_NODE = 1;
  private static final int GRAPH_NAME = 2;
  private static final int GRAPH_INITIALIZER = 5;
  private static final int GRAPH_INPUT = 11;
  private static final int GRAPH_OUTPUT = 12;
  private static final int NODE_INPUT = 1;
  private static final int NODE_OUTPUT = 2;
  private static final int NODE_NAME = 3;
  private static final int NODE_OP_TYPE = 4;
  private static final int NODE_ATTRIBUTE = 5;
  private static final int VALUE_NAME = 1;
  private static final int VALUE_TYPE = 2;
  private static final int TYPE_TENSOR = 1;
  private static final int TENSOR_ELEM_TYPE = 1;
  private static final int TENSOR_SHAPE = 2;
  private static final int SHAPE_DIM = 1;
  private static final int DIM_VALUE = 1;
  private static final int DIM_PARAM = 2;
  private static final int TENSOR_DIMS = 1;
  private static final int TENSOR_DATA_TYPE = 2;
  private static final int TENSOR_NAME = 8;
  private static final int TENSOR_RAW_DATA = 9;

  private final String name;
  private final AtomicInteger counter;
  private final List<ProtoMessage> nodes = new ArrayList<>();
  private final List<ProtoMessage> initializers = new ArrayList<>();
  private final List<ProtoMessage> inputs = new ArrayList<>();
  private final List<ProtoMessage> outputs = new ArrayList<>();

  public OnnxGraph(String name) {
    this(name, new AtomicInteger());
  }

  private OnnxGraph(String name, AtomicInteger counter) {
    this.name = name;
    this.counter = counter;
  }

  /** A subgraph (e.g. a Scan body) sharing this graph's name space. */
  public OnnxGraph subgraph(String name) {
    return new OnnxGraph(name, counter);
  }

  /**
   * Declares a graph input. Each dim is a {@link Number} (fixed size), a {@link String} (named
   * symbolic size) or null (unknown).
   */
  public String input(String name, ElemType type, Object... dims) {
    inputs.add(valueInfo(name, type, dims));
    return name;
  }

  /** Declares a graph output (dims as in {@link #input}). */
  public void output(String name, ElemType type, Object... dims) {
    outputs.add(valueInfo(name, type, dims));
  }

  /** Adds a float initializer with a fresh name built from {@code hint}; returns the name. */
  public String floats(String hint, float[] data, long... dims) {
    String n = fresh(hint);
    initializers.add(floatTensor(n, data, dims));
    return n;
  }

  /** Adds a 1-D int64 initializer (shapes, axes, indices); returns its name. */
  public String int64s(String hint, long... values) {
    return int64Tensor(hint, values, values.length);
  }

  /** Adds a scalar (rank 0) int64 initializer; returns its name. */
  public String int64Scalar(String hint, long value) {
    return int64Tensor(hint, new long[] {value});
  }

  /** Adds a scalar (rank 0) int32 initializer; returns its name. */
  public String int32Scalar(String hint, int value) {
    String n = fresh(hint);
    byte[] raw = new byte[4];
    for (int i = 0; i < 4; i++) {
      raw[i] = (byte) (value >>> (8 * i));
    }
    initializers.add(
        new ProtoMessage()
            .varint(TENSOR_DATA_TYPE, ElemType.INT32.code())
            .string(TENSOR_NAME, n)
            .bytes(TENSOR_RAW_DATA, raw));
    return n;
  }

  /** Adds a scalar (rank 0) float initializer; returns its name. */
  public String floatScalar(String hint, float value) {
    return floats(hint, new float[] {value});
  }

  private String int64Tensor(String hint, long[] values, long... dims) {
    String n = fresh(hint);
    byte[] raw = new byte[8 * values.length];
    for (int k = 0; k < values.length; k++) {
      for (int i = 0; i < 8; i++) {
        raw[8 * k + i] = (byte) (values[k] >>> (8 * i));
      }
    }
    ProtoMessage t = new ProtoMessage();
    if (dims.length > 0) {
      t.packedVarints(TENSOR_DIMS, dims);
    }
    initializers.add(
        t.varint(TENSOR_DATA_TYPE, ElemType.INT64.code())
            .string(TENSOR_NAME, n)
            .bytes(TENSOR_RAW_DATA, raw));
    return n;
  }

  /** Adds a node with one output; returns the output's (generated) name. */
  public String op(String opType, List<String> in, Attribute... attributes) {
    return op(opType, in, 1, attributes)[0];
  }

  /** Adds a node with one output; inputs as varargs. Empty strings mark omitted optional inputs. */
  public String op(String opType, String... in) {
    return op(opType, List.of(in));
  }

  /** Adds a node with {@code outputs} outputs; returns their (generated) names. */
  public String[] op(String opType, List<String> in, int outputs, Attribute... attributes) {
    String[] out = new String[outputs];
    for (int i = 0; i < outputs; i++) {
      out[i] = fresh(opType.toLowerCase());
    }
    opNamed(opType, in, List.of(out), attributes);
    return out;
  }

  /** Adds a node whose outputs have the given names (e.g. graph outputs). */
  public void opNamed(String opType, List<String> in, List<String> out, Attribute... attributes) {
    ProtoMessage node = new ProtoMessage();
    for (String i : in) {
      node.string(NODE_INPUT, i);
    }
    for (String o : out) {
      node.string(NODE_OUTPUT, o);
    }
    node.string(NODE_NAME, fresh(opType)).string(NODE_OP_TYPE, opType);
    for (Attribute a : attributes) {
      node.message(NODE_ATTRIBUTE, a.proto());
    }
    nodes.add(node);
  }

  /** A name not used before in this graph family, starting with {@code hint}. */
  public String fresh(String hint) {
    return hint + "_" + counter.incrementAndGet();
  }

  /** The encoded {@code GraphProto}. */
  public ProtoMessage toProto() {
    ProtoMessage g = new ProtoMessage();
    for (ProtoMessage n : nodes) {
      g.message(GRAPH_NODE, n);
    }
    g.string(GRAPH_NAME, name);
    for (ProtoMessage t : initializers) {
      g.message(GRAPH_INITIALIZER, t);
    }
    for (ProtoMessage i : inputs) {
      g.message(GRAPH_INPUT, i);
    }
    for (ProtoMessage o : outputs) {
      g.message(GRAPH_OUTPUT, o);
    }
    return g;
  }

  static ProtoMessage floatTensor(String name, float[] data, long... dims) {
    long expected = 1;
    for (long d : dims) {
      expected *= d;
    }
    if (expected != data.length) {
      throw new IllegalArgumentException(
          "tensor " + name + ": " + data.length + " values for a shape of " + expected);
    }
    ProtoMessage t = new ProtoMessage();
    if (dims.length > 0) {
      t.packedVarints(TENSOR_DIMS, dims);
    }
    if (!name.isEmpty()) {
      t.varint(TENSOR_DATA_TYPE, ElemType.FLOAT.code()).string(TENSOR_NAME, name);
    } else {
      t.varint(TENSOR_DATA_TYPE, ElemType.FLOAT.code());
    }
    return t.floatsAsBytes(TENSOR_RAW_DATA, data);
  }

  private static ProtoMessage valueInfo(String name, ElemType type, Object... dims) {
    ProtoMessage shape = new ProtoMessage();
    for (Object d : dims) {
      ProtoMessage dim = new ProtoMessage();
      if (d instanceof Number n) {
        dim.varint(DIM_VALUE, n.longValue());
      } else if (d instanceof String s) {
        dim.string(DIM_PARAM, s);
      }
      shape.message(SHAPE_DIM, dim);
    }
    ProtoMessage tensor =
        new ProtoMessage().varint(TENSOR_ELEM_TYPE, type.code()).message(TENSOR_SHAPE, shape);
    ProtoMessage typeProto = new ProtoMessage().message(TYPE_TENSOR, tensor);
    return new ProtoMessage().string(VALUE_NAME, name).message(VALUE_TYPE, typeProto);
  }
}
