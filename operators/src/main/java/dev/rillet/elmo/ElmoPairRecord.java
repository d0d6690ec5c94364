package dev.rillet.elmo;

import dev.rillet.elmo.runtime.ElmoSource;
import java.util.Objects;
import org.apache.flink.annotation.Internal;

/**
 * What a {@link SentenceElmo} snapshot says about the biLM and heads pair it serves: kept in union
 * operator state, so that a restore after an ELMo model update continues on the updated pair. A
 * Flink POJO.
 *
 * <p>Stays in {@code dev.rillet.elmo}: the POJO serializer writes this class's name into every
 * checkpoint and savepoint, so moving or renaming it would make old savepoints unrestorable.
 */
@Internal
public final class ElmoPairRecord {
  /** The biLM's ONNX file, or null for an options + weights pair. */
  public String elmoOnnx;

  /** The biLM's options.json, or null for an ONNX file. */
  public String elmoOptions;

  /** The biLM's weights file, or null for an ONNX file. */
  public String elmoWeights;

  /** The heads package folder, canonical. */
  public String headsDir;

  /** id@version of the heads package. */
  public String headsId;

  /** The model update that installed the pair; null for the job's --elmo / --elmo-heads. */
  public String updateId;

  /** When that update was written, epoch millis; 0 for the job's own pair. */
  public long updateTime;

  /** The biLM the job was first started with ({@link ElmoSource#toString()}), kept throughout. */
  public String startElmo;

  /** The heads folder (canonical) the job was first started with, kept throughout. */
  public String startHeadsDir;

  public ElmoPairRecord() {}

  ElmoSource source() {
    return ElmoSource.of(elmoOnnx, elmoOptions, elmoWeights);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof ElmoPairRecord r
        && updateTime == r.updateTime
        && Objects.equals(elmoOnnx, r.elmoOnnx)
        && Objects.equals(elmoOptions, r.elmoOptions)
        && Objects.equals(elmoWeights, r.elmoWeights)
        && Objects.equals(headsDir, r.headsDir)
        && Objects.equals(headsId, r.headsId)
        && Objects.equals(updateId, r.updateId)
        && Objects.equals(startElmo, r.startElmo)
        && Objects.equals(startHeadsDir, r.startHeadsDir);
  }

  @Override
  public int hashCode() {
    return Objects.hash(
        elmoOnnx,
        elmoOptions,
        elmoWeights,
        headsDir,
        headsId,
        updateId,
        updateTime,
        startElmo,
        startHeadsDir);
  }

  @Override
  public String toString() {
    return source().name()
        + " + "
        + headsId
        + " ("
        + headsDir
        + (updateId == null ? "" : ", update " + updateId)
        + ")";
  }
}
