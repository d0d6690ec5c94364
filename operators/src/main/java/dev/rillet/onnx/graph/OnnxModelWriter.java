package dev.rillet.onnx.graph;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.apache.flink.annotation.Internal;

/**
 * Wraps a graph in an ONNX {@code ModelProto} (IR version 8, default-domain opset 17, which ONNX
 * Runtime 1.29 runs) and writes it.
 */
@Internal
public final class OnnxModelWriter {
  /** The ONNX IR version written: 8 is the one that goes with opset 17. */
  public static final long IR_VERSION = 8;

  /** The default-domain opset the graphs are written for. */
  public static final long OPSET = 17;

  // ModelProto / OperatorSetIdProto / StringStringEntryProto field numbers (onnx.proto).
  private static final int MODEL_IR_VERSION = 1;
  private static final int MODEL_PRODUCER_NAME = 2;
  private static final int MODEL_PRODUCER_VERSION = 3;
  private static final int MODEL_GRAPH = 7;
  private static final int MODEL_OPSET_IMPORT = 8;
  private static final int MODEL_METADATA = 14;
  private static final int OPSET_DOMAIN = 1;
  private static final int OPSET_VERSION = 2;
  private static final int ENTRY_KEY = 1;
  private static final int ENTRY_VALUE = 2;

  private OnnxModelWriter() {}

  /** The encoded model; {@code metadata} become the model's {@code metadata_props}. */
  public static ProtoMessage model(OnnxGraph graph, String producer, Map<String, String> metadata) {
    ProtoMessage m =
        new ProtoMessage()
            .varint(MODEL_IR_VERSION, IR_VERSION)
            .string(MODEL_PRODUCER_NAME, producer)
            .string(MODEL_PRODUCER_VERSION, "1")
            .message(MODEL_GRAPH, graph.toProto())
            .message(
                MODEL_OPSET_IMPORT,
                new ProtoMessage().string(OPSET_DOMAIN, "").varint(OPSET_VERSION, OPSET));
    for (Map.Entry<String, String> e : metadata.entrySet()) {
      m.message(
          MODEL_METADATA,
          new ProtoMessage().string(ENTRY_KEY, e.getKey()).string(ENTRY_VALUE, e.getValue()));
    }
    return m;
  }

  /** Writes an encoded model to a file (created or replaced). */
  public static void write(ProtoMessage model, Path file) throws IOException {
    try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(file), 1 << 20)) {
      model.writeTo(out);
    }
  }
}
