package dev.rillet;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.core.importer.Location;
import com.tngtech.archunit.junit.AnalyzeClasses;
import com.tngtech.archunit.junit.ArchTest;
import com.tngtech.archunit.lang.ArchRule;
import dev.rillet.tokenize.WordTokenizer;

/**
 * Package structure of the library. Its data flow is tokenize → segment → recurrent → elmo: a
 * package may use the ones before it, never one after it. {@code onnx}, {@code bundle} and {@code
 * kafka} are shared plumbing, and no two packages may depend on each other in a cycle.
 */
@AnalyzeClasses(
    packages = "dev.rillet",
    importOptions = ArchitectureTest.MainClassesOfThisModule.class)
class ArchitectureTest {

  @ArchTest
  static final ArchRule noPackageCycles =
      slices().matching("dev.rillet.(*)..").should().beFreeOfCycles();

  @ArchTest
  static final ArchRule tokenizeUsesNoLaterStage =
      noClasses()
          .that()
          .resideInAPackage("dev.rillet.tokenize..")
          .should()
          .dependOnClassesThat()
          .resideInAnyPackage(
              "dev.rillet.segment..", "dev.rillet.recurrent..", "dev.rillet.elmo..");

  @ArchTest
  static final ArchRule segmentUsesNoLaterStage =
      noClasses()
          .that()
          .resideInAPackage("dev.rillet.segment..")
          .should()
          .dependOnClassesThat()
          .resideInAnyPackage("dev.rillet.recurrent..", "dev.rillet.elmo..");

  @ArchTest
  static final ArchRule recurrentUsesNoLaterStage =
      noClasses()
          .that()
          .resideInAPackage("dev.rillet.recurrent..")
          .should()
          .dependOnClassesThat()
          .resideInAPackage("dev.rillet.elmo..");

  /**
   * Only this module's main classes: not its tests, and not the classes of the other Rillet modules
   * on the test classpath (schemas, embedded-kafka), which a reactor build puts there as folders.
   */
  static final class MainClassesOfThisModule implements ImportOption {
    private final String root =
        WordTokenizer.class.getProtectionDomain().getCodeSource().getLocation().toString();

    @Override
    public boolean includes(Location location) {
      return location.asURI().toString().startsWith(root);
    }
  }
}
