package dev.rillet.state;

import java.io.IOException;
import org.apache.flink.annotation.Internal;
import org.apache.flink.api.common.typeutils.TypeSerializer;
import org.apache.flink.api.common.typeutils.TypeSerializerSchemaCompatibility;
import org.apache.flink.api.common.typeutils.TypeSerializerSnapshot;
import org.apache.flink.core.memory.DataInputView;
import org.apache.flink.core.memory.DataOutputView;

/**
 * Serializer snapshot of one of Rillet's hand-written state layouts: it records which version of
 * the layout the state was written in, and nothing else (the serializers have no configuration).
 *
 * <p>The snapshot's version, which Flink writes in front of it into the checkpoint metadata, is the
 * layout version. On restore Flink asks the snapshot of the serializer now in use (FLIP-263): state
 * of the current layout is compatible as is, state of an older layout of the same snapshot class is
 * read with {@link #serializerFor} that layout's serializer and rewritten in the current one
 * (compatible after migration), and a snapshot of another class is left to {@link #resolveForeign},
 * where a layout's predecessors (Flink's POJO serializer, an earlier snapshot class) are
 * recognised.
 *
 * <p>Subclasses need a public no-argument constructor: Flink instantiates them by class name.
 */
@Internal
public abstract class LayoutSnapshot<T> implements TypeSerializerSnapshot<T> {
  private final int firstLayout;
  private final int currentLayout;

  /** The layout of the state this snapshot describes: current until {@link #readSnapshot}. */
  private int layout;

  /**
   * @param firstLayout the oldest layout version this snapshot class was ever written with
   * @param currentLayout the layout version the current serializer writes
   */
  protected LayoutSnapshot(int firstLayout, int currentLayout) {
    this.firstLayout = firstLayout;
    this.currentLayout = currentLayout;
    this.layout = currentLayout;
  }

  /** The serializer of layout {@code layout}, one of {@code firstLayout..currentLayout}. */
  protected abstract TypeSerializer<T> serializerFor(int layout);

  /**
   * Compatibility with state whose snapshot is of another class; by default incompatible. Returning
   * compatible after migration makes Flink read the state with {@code
   * oldSnapshot.restoreSerializer()} and write it with this layout.
   */
  protected TypeSerializerSchemaCompatibility<T> resolveForeign(
      TypeSerializerSnapshot<T> oldSnapshot) {
    return TypeSerializerSchemaCompatibility.incompatible();
  }

  /** The layout version of the state this snapshot describes. */
  public final int layout() {
    return layout;
  }

  @Override
  public final int getCurrentVersion() {
    return currentLayout;
  }

  @Override
  public final void writeSnapshot(DataOutputView out) {
    // Flink writes the version (= the layout) in front of the snapshot; there is nothing more.
  }

  @Override
  public final void readSnapshot(int readVersion, DataInputView in, ClassLoader classLoader)
      throws IOException {
    if (readVersion < firstLayout || readVersion > currentLayout) {
      throw new IOException(
          getClass().getName()
              + ": state layout version "
              + readVersion
              + " is not one of "
              + firstLayout
              + ".."
              + currentLayout
              + " that this Rillet reads (written by a newer Rillet?)");
    }
    layout = readVersion;
  }

  @Override
  public final TypeSerializer<T> restoreSerializer() {
    return serializerFor(layout);
  }

  @Override
  public final TypeSerializerSchemaCompatibility<T> resolveSchemaCompatibility(
      TypeSerializerSnapshot<T> oldSnapshot) {
    if (oldSnapshot.getClass() != getClass()) {
      return resolveForeign(oldSnapshot);
    }
    return ((LayoutSnapshot<T>) oldSnapshot).layout == layout
        ? TypeSerializerSchemaCompatibility.compatibleAsIs()
        : TypeSerializerSchemaCompatibility.compatibleAfterMigration();
  }
}
