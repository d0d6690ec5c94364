package dev.rillet.segment;

import dev.rillet.state.LayoutSnapshot;
import dev.rillet.state.VarInts;
import java.io.IOException;
import org.apache.flink.annotation.Internal;
import org.apache.flink.api.common.serialization.SerializerConfigImpl;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeutils.TypeSerializer;
import org.apache.flink.api.common.typeutils.TypeSerializerSchemaCompatibility;
import org.apache.flink.api.common.typeutils.TypeSerializerSnapshot;
import org.apache.flink.api.common.typeutils.base.TypeSerializerSingleton;
import org.apache.flink.api.java.typeutils.runtime.PojoSerializerSnapshot;
import org.apache.flink.core.memory.DataInputView;
import org.apache.flink.core.memory.DataOutputView;

/**
 * Compact serializer of {@link SegmenterState}. Flink's POJO serializer, which stored it before,
 * took 53 bytes (a null flag per field, fixed-width numbers); a young stream with a pending
 * idle-gap timer now takes 14 (6 of them the last event's time), and every stream keeps one copy in
 * every checkpoint.
 *
 * <p>Layout version 1, in order:
 *
 * <ol>
 *   <li>flags, one byte: bit 0 {@link SegmenterState#active}, bit 1 a pending timer ({@link
 *       SegmenterState#timerAt} is not {@link SegmenterState#NO_TIMER}); other bits 0
 *   <li>{@link SegmenterState#lastSeq}, zigzag varint (-1, a stream without events, is 1 byte)
 *   <li>{@link SegmenterState#lastEventTime}, zigzag varint
 *   <li>{@link SegmenterState#nextPosition}, varint
 *   <li>{@link SegmenterState#sentenceIndex}, varint
 *   <li>{@link SegmenterState#openSentenceTokens}, varint
 *   <li>only with a pending timer: {@code timerAt - lastEventTime}, zigzag varint (the timer is an
 *       idle gap or a TTL after the last event: a few bytes, where the time itself takes six)
 * </ol>
 *
 * <p>Varints as in {@link VarInts}; every value of every field round-trips (a negative count is
 * merely long), and the timer difference wraps around exactly as it is added back.
 *
 * <p>State written by the POJO serializer restores through {@link Snapshot}: Flink reads it with
 * the POJO serializer and writes it anew in this layout.
 */
@Internal
public final class SegmenterStateSerializer extends TypeSerializerSingleton<SegmenterState> {
  private static final long serialVersionUID = 1L;

  public static final SegmenterStateSerializer INSTANCE = new SegmenterStateSerializer();

  /** The layout version {@link #serialize} writes. */
  static final int LAYOUT = 1;

  private static final int ACTIVE = 1;
  private static final int TIMER = 1 << 1;

  @Override
  public boolean isImmutableType() {
    return false;
  }

  @Override
  public SegmenterState createInstance() {
    return new SegmenterState();
  }

  @Override
  public SegmenterState copy(SegmenterState from) {
    return from.copy();
  }

  @Override
  public SegmenterState copy(SegmenterState from, SegmenterState reuse) {
    return from.copy();
  }

  @Override
  public int getLength() {
    return -1;
  }

  @Override
  public void serialize(SegmenterState s, DataOutputView out) throws IOException {
    boolean timer = s.timerAt != SegmenterState.NO_TIMER;
    out.writeByte((s.active ? ACTIVE : 0) | (timer ? TIMER : 0));
    VarInts.writeZigZag(out, s.lastSeq);
    VarInts.writeZigZag(out, s.lastEventTime);
    VarInts.writeVarLong(out, s.nextPosition);
    VarInts.writeVarLong(out, s.sentenceIndex);
    VarInts.writeVarLong(out, s.openSentenceTokens);
    if (timer) {
      VarInts.writeZigZag(out, s.timerAt - s.lastEventTime);
    }
  }

  @Override
  public SegmenterState deserialize(DataInputView in) throws IOException {
    int flags = in.readUnsignedByte();
    if ((flags & ~(ACTIVE | TIMER)) != 0) {
      throw new IOException("segmenter state: unknown flags " + Integer.toBinaryString(flags));
    }
    SegmenterState s = new SegmenterState();
    s.active = (flags & ACTIVE) != 0;
    s.lastSeq = VarInts.readZigZag(in);
    s.lastEventTime = VarInts.readZigZag(in);
    s.nextPosition = VarInts.readVarLong(in);
    s.sentenceIndex = VarInts.readVarLong(in);
    s.openSentenceTokens = (int) VarInts.readVarLong(in);
    s.timerAt =
        (flags & TIMER) != 0 ? s.lastEventTime + VarInts.readZigZag(in) : SegmenterState.NO_TIMER;
    return s;
  }

  @Override
  public SegmenterState deserialize(SegmenterState reuse, DataInputView in) throws IOException {
    return deserialize(in);
  }

  @Override
  public void copy(DataInputView in, DataOutputView out) throws IOException {
    serialize(deserialize(in), out);
  }

  @Override
  public TypeSerializerSnapshot<SegmenterState> snapshotConfiguration() {
    return new Snapshot();
  }

  /**
   * Snapshot of {@link SegmenterStateSerializer}; also accepts state that Flink's POJO serializer
   * wrote (Rillet before this serializer), for migration.
   */
  public static final class Snapshot extends LayoutSnapshot<SegmenterState> {
    public Snapshot() {
      super(LAYOUT, LAYOUT);
    }

    @Override
    protected TypeSerializer<SegmenterState> serializerFor(int layout) {
      return INSTANCE;
    }

    /**
     * Compatible after migration with POJO-serialized state that Flink's own POJO rules find
     * readable as today's {@link SegmenterState} (the same class; fields added since, such as
     * {@link SegmenterState#timerAt}, restore with their initial values).
     */
    @Override
    protected TypeSerializerSchemaCompatibility<SegmenterState> resolveForeign(
        TypeSerializerSnapshot<SegmenterState> oldSnapshot) {
      if (oldSnapshot instanceof PojoSerializerSnapshot
          && !pojoSnapshot().resolveSchemaCompatibility(oldSnapshot).isIncompatible()) {
        return TypeSerializerSchemaCompatibility.compatibleAfterMigration();
      }
      return TypeSerializerSchemaCompatibility.incompatible();
    }

    /** The snapshot Flink's POJO serializer of today's {@link SegmenterState} would write. */
    private static TypeSerializerSnapshot<SegmenterState> pojoSnapshot() {
      return TypeInformation.of(SegmenterState.class)
          .createSerializer(new SerializerConfigImpl())
          .snapshotConfiguration();
    }
  }
}
