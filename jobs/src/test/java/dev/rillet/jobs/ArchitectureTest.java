package dev.rillet.jobs;

import static com.tngtech.archunit.core.domain.JavaClass.Predicates.resideInAPackage;
import static com.tngtech.archunit.core.domain.JavaClass.Predicates.resideOutsideOfPackage;
import static com.tngtech.archunit.core.domain.JavaClass.Predicates.resideOutsideOfPackages;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.core.importer.Location;
import com.tngtech.archunit.junit.AnalyzeClasses;
import com.tngtech.archunit.junit.ArchTest;
import com.tngtech.archunit.lang.ArchRule;
import com.tngtech.archunit.library.GeneralCodingRules;

/**
 * Package structure of the command line and jobs: {@link Rillet} lists the commands; {@code cli}
 * (the {@code Command} interface and option parsing) is below every command package, {@code
 * pipeline} (the jobs the commands run) below every command package but above {@code cli}; no two
 * packages under {@code dev.rillet.jobs} depend on each other in a cycle.
 */
@AnalyzeClasses(
    packages = "dev.rillet.jobs",
    importOptions = ArchitectureTest.MainClassesOfThisModule.class)
class ArchitectureTest {

  /** No exceptions: data flows one way, commands -> pipeline -> cli. */
  @ArchTest
  static final ArchRule noPackageCycles =
      slices().matching("dev.rillet.jobs.(*)..").should().beFreeOfCycles();

  /**
   * What broke the live/backfill ↔ cluster cycles: the pipeline both the commands and the cluster
   * job run is in {@code pipeline}, below every command package (and the launcher's list of them).
   */
  @ArchTest
  static final ArchRule pipelineDependsOnNoCommandPackage =
      noClasses()
          .that()
          .resideInAPackage("dev.rillet.jobs.pipeline..")
          .should()
          .dependOnClassesThat()
          .resideInAnyPackage(
              "dev.rillet.jobs",
              "dev.rillet.jobs.live..",
              "dev.rillet.jobs.backfill..",
              "dev.rillet.jobs.cluster..",
              "dev.rillet.jobs.bench..",
              "dev.rillet.jobs.demo..",
              "dev.rillet.jobs.eval..",
              "dev.rillet.jobs.elmo..",
              "dev.rillet.jobs.tools..");

  /**
   * The cluster job jar carries only {@code cluster}, {@code pipeline} and {@code cli} of this
   * module (the shade filter in jobs/pom.xml), so {@code cluster} uses nothing else of it.
   */
  @ArchTest
  static final ArchRule clusterDependsOnlyOnPipelineAndCli =
      noClasses()
          .that()
          .resideInAPackage("dev.rillet.jobs.cluster..")
          .should()
          .dependOnClassesThat(
              resideInAPackage("dev.rillet.jobs..")
                  .and(
                      resideOutsideOfPackages(
                          "dev.rillet.jobs.cluster..",
                          "dev.rillet.jobs.pipeline..",
                          "dev.rillet.jobs.cli..")));

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

  /**
   * What a command prints goes to the streams of its {@code cli.CommandContext}, so that a test
   * sees it without swapping {@code System.out}; only the launcher's {@code main} hands the
   * standard streams over.
   */
  @ArchTest
  static final ArchRule onlyTheLauncherUsesTheStandardStreams =
      noClasses()
          .that()
          .doNotBelongToAnyOf(Rillet.class)
          .should(GeneralCodingRules.ACCESS_STANDARD_STREAMS);

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
