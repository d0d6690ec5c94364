package dev.rillet.jobs;

import static com.tngtech.archunit.core.domain.JavaClass.Predicates.belongToAnyOf;
import static com.tngtech.archunit.core.domain.JavaClass.Predicates.resideInAPackage;
import static com.tngtech.archunit.core.domain.JavaClass.Predicates.resideOutsideOfPackage;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.core.importer.Location;
import com.tngtech.archunit.junit.AnalyzeClasses;
import com.tngtech.archunit.junit.ArchTest;
import com.tngtech.archunit.lang.ArchRule;
import dev.rillet.jobs.backfill.BackfillCommand;
import dev.rillet.jobs.live.LiveCommand;

/**
 * Package structure of the command line and jobs: {@link Rillet} lists the commands; {@code cli}
 * (the {@code Command} interface and option parsing) is below every command package; no two
 * packages under {@code dev.rillet.jobs} depend on each other in a cycle.
 */
@AnalyzeClasses(
    packages = "dev.rillet.jobs",
    importOptions = ArchitectureTest.MainClassesOfThisModule.class)
class ArchitectureTest {

  /**
   * One known exception. {@code live} and {@code backfill} hold both a pipeline and its command;
   * the commands ({@link LiveCommand}, {@link BackfillCommand}) submit to a cluster through {@code
   * cluster.ClusterSubmission}, while {@code cluster} (the submission and {@code RilletJob}, the
   * cluster job jar's main) builds the live and backfill pipelines. So live ↔ cluster and backfill
   * ↔ cluster are cycles until the commands and their pipelines are in packages of their own; the
   * dependencies of those two command classes on {@code cluster} are ignored here, and nothing
   * else.
   */
  @ArchTest
  static final ArchRule noPackageCycles =
      slices()
          .matching("dev.rillet.jobs.(*)..")
          .should()
          .beFreeOfCycles()
          .ignoreDependency(
              belongToAnyOf(LiveCommand.class, BackfillCommand.class),
              resideInAPackage("dev.rillet.jobs.cluster.."));

  /** What broke the cli ↔ commands cycle: the command list lives in {@link Rillet}, not in cli. */
  @ArchTest
  static final ArchRule cliDependsOnNoCommandPackage =
      noClasses()
          .that()
          .resideInAPackage("dev.rillet.jobs.cli..")
          .should()
          .dependOnClassesThat(
              resideInAPackage("dev.rillet.jobs..")
                  .and(resideOutsideOfPackage("dev.rillet.jobs.cli..")));

  /** Only this module's main classes (not its tests, nor other modules' classes). */
  static final class MainClassesOfThisModule implements ImportOption {
    private final String root =
        Rillet.class.getProtectionDomain().getCodeSource().getLocation().toString();

    @Override
    public boolean includes(Location location) {
      return location.asURI().toString().startsWith(root);
    }
  }
}
