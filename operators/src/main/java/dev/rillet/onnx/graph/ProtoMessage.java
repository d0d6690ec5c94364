package dev.rillet.onnx.graph;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.apache.flink.annotation.Internal;

/**
 * A protocol-buffers message under construction, written in field order with the wire format's
 * varint and length-delimited encodings. Only what ONNX needs: varints, fixed32 floats, strings,
 * bytes, packed varints, nested messages and large float arrays.
 *
 * <p>Nested messages and float arrays are kept by reference and encoded only by {@link #writeTo},
 * so a model with hundreds of MB of weights is streamed out without intermediate copies. A message
 * must not be changed after it has been added to another one.
 */
@Internal
public final class ProtoMessage {
  private static final int VARINT = 0;
  private static final int FIXED32 = 5;
  private static final int LENGTH_DELIMITED = 2;

  /** Encoded scalar fields not yet followed by a by-reference part. */
  private final ByteArrayOutputStream pending = new ByteArrayOutputStream();

  /** Parts in order: byte[] (encoded fields), Nested or Floats. */
  private final List<Object> parts = new ArrayList<>();

  private record Nested(int field, ProtoMessage message) {}

  private record Floats(int field, float[] data) {}

  /** Appends an int64/int32/enum field (negative values take 10 bytes, as protobuf requires). */
  public ProtoMessage varint(int field, long value) {
    tag(field, VARINT);
    writeVarint(pending, value);
    return this;
  }

  /** Appends a float field. */
  public ProtoMessage fixed32(int field, float value) {
    tag(field, FIXED32);
    int bits = Float.floatToRawIntBits(value);
    for (int i = 0; i < 4; i++) {
      pending.write(bits >>> (8 * i));
    }
    return this;
  }

  /** Appends a string field (UTF-8). */
  public ProtoMessage string(int field, String value) {
    return bytes(field, value.getBytes(StandardCharsets.UTF_8));
  }

  /** Appends a bytes field. */
  public ProtoMessage bytes(int field, byte[] value) {
    tag(field, LENGTH_DELIMITED);
    writeVarint(pending, value.length);
    pending.writeBytes(value);
    return this;
  }

  /** Appends a packed repeated int64 field. */
  public ProtoMessage packedVarints(int field, long[] values) {
    ByteArrayOutputStream body = new ByteArrayOutputStream();
    for (long v : values) {
      writeVarint(body, v);
    }
    return bytes(field, body.toByteArray());
  }

  /** Appends a packed repeated float field. */
  public ProtoMessage packedFloats(int field, float[] values) {
    ByteArrayOutputStream body = new ByteArrayOutputStream();
    for (float f : values) {
      int bits = Float.floatToRawIntBits(f);
      for (int i = 0; i < 4; i++) {
        body.write(bits >>> (8 * i));
      }
    }
    return bytes(field, body.toByteArray());
  }

  /** Appends {@code data} as a bytes field of little-endian floats, without copying it now. */
  public ProtoMessage floatsAsBytes(int field, float[] data) {
    flush();
    parts.add(new Floats(field, data));
    return this;
  }

  /** Appends a nested message field, kept by reference. */
  public ProtoMessage message(int field, ProtoMessage message) {
    flush();
    parts.add(new Nested(field, message));
    return this;
  }

  /** Encoded size in bytes. */
  public long size() {
    long size = pending.size();
    for (Object p : parts) {
      if (p instanceof byte[] b) {
        size += b.length;
      } else if (p instanceof Nested n) {
        long inner = n.message.size();
        size += tagSize(n.field) + varintSize(inner) + inner;
      } else {
        long inner = 4L * ((Floats) p).data.length;
        size += tagSize(((Floats) p).field) + varintSize(inner) + inner;
      }
    }
    return size;
  }

  /** Writes the encoded message. */
  public void writeTo(OutputStream out) throws IOException {
    byte[] chunk = new byte[1 << 16];
    writeTo(out, chunk);
  }

  /** The encoded message; fails when it exceeds the 2 GiB a Java array (and protobuf) allows. */
  public byte[] toByteArray() {
    long size = size();
    if (size > Integer.MAX_VALUE - 16) {
      throw new IllegalStateException("message of " + size + " bytes exceeds the 2 GiB limit");
    }
    // Written straight into an array of the final size: one copy of the weights, not two.
    byte[] bytes = new byte[(int) size];
    OutputStream out =
        new OutputStream() {
          private int at;

          @Override
          public void write(int b) {
            bytes[at++] = (byte) b;
          }

          @Override
          public void write(byte[] b, int off, int len) {
            System.arraycopy(b, off, bytes, at, len);
            at += len;
          }
        };
    try {
      writeTo(out);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
    return bytes;
  }

  private void writeTo(OutputStream out, byte[] chunk) throws IOException {
    for (Object p : parts) {
      if (p instanceof byte[] b) {
        out.write(b);
      } else if (p instanceof Nested n) {
        writeTag(out, n.field, LENGTH_DELIMITED);
        writeVarint(out, n.message.size());
        n.message.writeTo(out, chunk);
      } else {
        Floats f = (Floats) p;
        writeTag(out, f.field, LENGTH_DELIMITED);
        writeVarint(out, 4L * f.data.length);
        // Little-endian in fixed chunks: one reusable buffer instead of a copy of the whole array.
        int n = 0;
        for (float v : f.data) {
          int bits = Float.floatToRawIntBits(v);
          chunk[n] = (byte) bits;
          chunk[n + 1] = (byte) (bits >>> 8);
          chunk[n + 2] = (byte) (bits >>> 16);
          chunk[n + 3] = (byte) (bits >>> 24);
          n += 4;
          if (n == chunk.length) {
            out.write(chunk, 0, n);
            n = 0;
          }
        }
        out.write(chunk, 0, n);
      }
    }
    pending.writeTo(out);
  }

  private void flush() {
    if (pending.size() > 0) {
      parts.add(pending.toByteArray());
      pending.reset();
    }
  }

  private void tag(int field, int wireType) {
    writeVarint(pending, ((long) field << 3) | wireType);
  }

  private static void writeTag(OutputStream out, int field, int wireType) throws IOException {
    writeVarint(out, ((long) field << 3) | wireType);
  }

  private static int tagSize(int field) {
    return varintSize((long) field << 3);
  }

  static int varintSize(long value) {
    int n = 1;
    while ((value & ~0x7FL) != 0) {
      value >>>= 7;
      n++;
    }
    return n;
  }

  private static void writeVarint(OutputStream out, long value) {
    try {
      while ((value & ~0x7FL) != 0) {
        out.write((int) ((value & 0x7F) | 0x80));
        value >>>= 7;
      }
      out.write((int) value);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }
}
