package dev.rillet.kafka;

import org.apache.avro.util.ClassSecurityValidator;
import org.apache.avro.util.ClassSecurityValidator.ClassSecurityPredicate;
import org.apache.flink.annotation.PublicEvolving;

/**
 * Lets Avro instantiate Rillet's generated record classes.
 *
 * <p>Avro 1.12 refuses to load a class named in a schema unless it is trusted, and Flink's {@code
 * AvroSerializer} (used whenever a {@code TextEvent} or other Rillet record is copied between
 * chained operators, sent over the network or kept in state) loads the record class that way; the
 * job then fails with "Forbidden dev.rillet.avro.X! This class is not trusted". {@link #install()}
 * adds the package {@value #PACKAGE} to the JVM-wide trusted set, keeping Avro's other rules.
 *
 * <p>It is installed when the classes of this package that build or run Kafka pipelines are loaded.
 * Code that moves Rillet records through Flink without them should call {@link #install()} itself
 * (e.g. in {@code main} or a test). On a cluster whose TaskManagers may not load these classes,
 * also set {@code -Dorg.apache.avro.SERIALIZABLE_PACKAGES=dev.rillet.avro} in {@code
 * env.java.opts.all}.
 */
@PublicEvolving
public final class AvroTrust {
  /** The package of the generated Avro classes (module schemas). */
  public static final String PACKAGE = "dev.rillet.avro";

  private static final String PREFIX = PACKAGE + ".";
  private static boolean installed;

  private AvroTrust() {}

  /** Trusts {@value #PACKAGE} in this JVM (this class loader's Avro). Idempotent. */
  public static synchronized void install() {
    if (installed) {
      return;
    }
    ClassSecurityPredicate previous = ClassSecurityValidator.getGlobal();
    ClassSecurityValidator.setGlobal(
        ClassSecurityValidator.composite(previous, c -> c.getName().startsWith(PREFIX)));
    installed = true;
  }
}
