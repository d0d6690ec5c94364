package dev.rillet.onnx.graph;

import org.apache.flink.annotation.Internal;

/**
 * A node attribute ({@code AttributeProto}). Create with the static factories; values are encoded
 * with the attribute type ONNX expects for them.
 */
@Internal
public final class Attribute {
  // AttributeProto field numbers and AttributeType values (onnx.proto).
  private static final int NAME = 1;
  private static final int F = 2;
  private static final int I = 3;
  private static final int S = 4;
  private static final int T = 5;
  private static final int G = 6;
  private static final int INTS = 8;
  private static final int TYPE = 20;
  private static final int TYPE_FLOAT = 1;
  private static final int TYPE_INT = 2;
  private static final int TYPE_STRING = 3;
  private static final int TYPE_TENSOR = 4;
  private static final int TYPE_GRAPH = 5;
  private static final int TYPE_INTS = 7;

  private final ProtoMessage proto;

  private Attribute(String name, int type) {
    this.proto = new ProtoMessage().string(NAME, name).varint(TYPE, type);
  }

  /** An INT attribute. */
  public static Attribute of(String name, long value) {
    Attribute a = new Attribute(name, TYPE_INT);
    a.proto.varint(I, value);
    return a;
  }

  /** A FLOAT attribute. */
  public static Attribute of(String name, float value) {
    Attribute a = new Attribute(name, TYPE_FLOAT);
    a.proto.fixed32(F, value);
    return a;
  }

  /** A STRING attribute. */
  public static Attribute of(String name, String value) {
    Attribute a = new Attribute(name, TYPE_STRING);
    a.proto.string(S, value);
    return a;
  }

  /** An INTS attribute. */
  public static Attribute ints(String name, long... values) {
    Attribute a = new Attribute(name, TYPE_INTS);
    for (long v : values) {
      a.proto.varint(INTS, v);
    }
    return a;
  }

  /** A GRAPH attribute (a subgraph, e.g. a Scan body); the graph must be complete. */
  public static Attribute of(String name, OnnxGraph graph) {
    Attribute a = new Attribute(name, TYPE_GRAPH);
    a.proto.message(G, graph.toProto());
    return a;
  }

  /** A TENSOR attribute holding a float tensor (e.g. ConstantOfShape's value). */
  public static Attribute tensor(String name, float[] data, long... dims) {
    Attribute a = new Attribute(name, TYPE_TENSOR);
    a.proto.message(T, OnnxGraph.floatTensor("", data, dims));
    return a;
  }

  ProtoMessage proto() {
    return proto;
  }
}
