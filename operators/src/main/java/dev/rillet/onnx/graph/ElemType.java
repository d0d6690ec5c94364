package dev.rillet.onnx.graph;

import org.apache.flink.annotation.Internal;

/** ONNX tensor element types used by Rillet's graphs (values of {@code TensorProto.DataType}). */
@Internal
public enum ElemType {
  FLOAT(1),
  INT32(6),
  INT64(7),
  BOOL(9);

  private final int code;

  ElemType(int code) {
    this.code = code;
  }

  /** The {@code TensorProto.DataType} number. */
  public int code() {
    return code;
  }
}
