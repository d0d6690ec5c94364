package dev.rillet.testutils;

import java.io.IOException;
import org.apache.flink.api.common.typeutils.TypeSerializerSnapshot;
import org.apache.flink.core.memory.DataInputDeserializer;
import org.apache.flink.core.memory.DataOutputSerializer;

/** Serializer snapshots as a checkpoint's metadata holds them. */
public final class SerializerSnapshots {
  private SerializerSnapshots() {}

  /**
   * {@code snapshot} written as Flink writes it into a checkpoint (class name, version, data) and
   * read back as Flink reads it on restore.
   */
  public static <T> TypeSerializerSnapshot<T> throughCheckpoint(TypeSerializerSnapshot<T> snapshot)
      throws IOException {
    DataOutputSerializer out = new DataOutputSerializer(256);
    TypeSerializerSnapshot.writeVersionedSnapshot(out, snapshot);
    return TypeSerializerSnapshot.readVersionedSnapshot(
        new DataInputDeserializer(out.getCopyOfBuffer()),
        SerializerSnapshots.class.getClassLoader());
  }
}
