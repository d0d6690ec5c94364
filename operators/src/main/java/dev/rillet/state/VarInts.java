package dev.rillet.state;

import java.io.DataInput;
import java.io.DataOutput;
import java.io.IOException;
import org.apache.flink.annotation.Internal;

/**
 * Variable-length integers for Rillet's compact state layouts: most of a stream's counters are
 * small, and a fixed 8-byte long per field was a large share of the non-tensor state.
 *
 * <p>A varint is the value's bits, least significant 7 first, one group per byte, the high bit of a
 * byte set when another byte follows (the LEB128 / protobuf encoding): 0-127 take 1 byte, a
 * negative long 10. A zigzag varint first maps a signed value to an unsigned one, 0, -1, 1, -2, ...
 * to 0, 1, 2, 3, ..., so that values near zero of either sign are short. Every long round-trips
 * through both.
 */
@Internal
public final class VarInts {
  /** The most bytes one varint takes: 64 bits in groups of 7. */
  private static final int MAX_BYTES = 10;

  private VarInts() {}

  /** Writes {@code v} as a varint (short for small non-negative values). */
  public static void writeVarLong(DataOutput out, long v) throws IOException {
    while ((v & ~0x7FL) != 0) {
      out.writeByte((int) (v & 0x7F) | 0x80);
      v >>>= 7;
    }
    out.writeByte((int) v);
  }

  /** Reads a varint written by {@link #writeVarLong}. */
  public static long readVarLong(DataInput in) throws IOException {
    long v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      byte b = in.readByte();
      v |= (long) (b & 0x7F) << shift;
      if (b >= 0) {
        return v;
      }
    }
    throw new IOException("malformed varint: more than " + MAX_BYTES + " bytes");
  }

  /** Writes {@code v} as a zigzag varint (short for values near zero, negative or not). */
  public static void writeZigZag(DataOutput out, long v) throws IOException {
    writeVarLong(out, (v << 1) ^ (v >> 63));
  }

  /** Reads a zigzag varint written by {@link #writeZigZag}. */
  public static long readZigZag(DataInput in) throws IOException {
    long z = readVarLong(in);
    return (z >>> 1) ^ -(z & 1);
  }

  /** Bytes that {@link #writeVarLong} takes for {@code v}. */
  public static int size(long v) {
    return v == 0 ? 1 : (64 - Long.numberOfLeadingZeros(v) + 6) / 7;
  }

  /** Bytes that {@link #writeZigZag} takes for {@code v}. */
  public static int zigZagSize(long v) {
    return size((v << 1) ^ (v >> 63));
  }
}
