package dev.rillet.recurrent;

import java.util.Objects;
import org.apache.flink.annotation.Internal;

/**
 * What a {@link RecurrentTagger} snapshot says about one model it had loaded: kept in union
 * operator state, so a restore (after a failover, a rescale or from a savepoint) knows which model
 * serves, where its package is and which models streams are still draining off. A Flink POJO.
 */
@Internal
public final class ModelRecord {
  /** The model serving new streams (and, after RESET, every stream). */
  public static final String ACTIVE = "active";

  /** A model whose streams keep it until they end (policy DRAIN). */
  public static final String DRAINING = "draining";

  /** id@version from the package's manifest. */
  public String modelId;

  /** The package folder it was loaded from. */
  public String packageDir;

  /** {@link #ACTIVE} or {@link #DRAINING}. */
  public String role;

  /** The model update that installed it; null for the job's --model. */
  public String updateId;

  /** When that update was written, epoch millis; 0 for the job's --model. */
  public long updateTime;

  /**
   * The id of the model the job was first started with (its --model before any update), carried
   * through every snapshot: a restart with that --model continues on the updated model.
   */
  public String startModelId;

  /**
   * For the active model: the policy of the update that installed it (RESET for the job's --model),
   * which streams still on an older model follow at their next event; null otherwise.
   */
  public String policy;

  public ModelRecord() {}

  ModelRecord(
      String modelId,
      String packageDir,
      String role,
      String updateId,
      long updateTime,
      String startModelId) {
    this.modelId = modelId;
    this.packageDir = packageDir;
    this.role = role;
    this.updateId = updateId;
    this.updateTime = updateTime;
    this.startModelId = startModelId;
  }

  boolean isActive() {
    return ACTIVE.equals(role);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof ModelRecord r
        && updateTime == r.updateTime
        && Objects.equals(modelId, r.modelId)
        && Objects.equals(packageDir, r.packageDir)
        && Objects.equals(role, r.role)
        && Objects.equals(updateId, r.updateId)
        && Objects.equals(startModelId, r.startModelId)
        && Objects.equals(policy, r.policy);
  }

  @Override
  public int hashCode() {
    return Objects.hash(modelId, packageDir, role, updateId, updateTime, startModelId, policy);
  }

  @Override
  public String toString() {
    return role
        + " "
        + modelId
        + " ("
        + packageDir
        + (updateId == null ? "" : ", update " + updateId)
        + ")";
  }
}
