package dev.rillet;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaCodeUnit;
import com.tngtech.archunit.core.domain.JavaConstructor;
import com.tngtech.archunit.core.domain.JavaField;
import com.tngtech.archunit.core.domain.JavaMember;
import com.tngtech.archunit.core.domain.JavaModifier;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.core.importer.Location;
import com.tngtech.archunit.junit.AnalyzeClasses;
import com.tngtech.archunit.junit.ArchTest;
import com.tngtech.archunit.lang.ArchCondition;
import com.tngtech.archunit.lang.ArchRule;
import com.tngtech.archunit.lang.ConditionEvents;
import com.tngtech.archunit.lang.SimpleConditionEvent;
import dev.rillet.tokenize.WordTokenizer;
import java.lang.annotation.Annotation;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.apache.flink.annotation.Experimental;
import org.apache.flink.annotation.Internal;
import org.apache.flink.annotation.PublicEvolving;

/**
 * Package structure of the library. Its data flow is tokenize → segment → recurrent → elmo: a
 * package may use the ones before it, never one after it; within elmo, the operator → runtime →
 * conversion. {@code onnx}, {@code bundle} and {@code kafka} are shared plumbing, and no two
 * packages may depend on each other in a cycle.
 *
 * <p>Public API: every public top-level class is marked with exactly one of Flink's {@link
 * PublicEvolving}, {@link Experimental} or {@link Internal}, and the public API does not hand out
 * internal types (CONTRIBUTING.md, "Public API").
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
   * The ELMo packages, with data flowing one way: the operator ({@code elmo}) uses the runtime, the
   * runtime uses the conversion, never back.
   */
  @ArchTest
  static final ArchRule elmoRuntimeUsesNoOperator =
      noClasses()
          .that()
          .resideInAPackage("dev.rillet.elmo.runtime..")
          .should()
          .dependOnClassesThat()
          .resideInAPackage("dev.rillet.elmo");

  @ArchTest
  static final ArchRule elmoConversionUsesNoRuntimeNorOperator =
      noClasses()
          .that()
          .resideInAPackage("dev.rillet.elmo.conversion..")
          .should()
          .dependOnClassesThat()
          .resideInAnyPackage("dev.rillet.elmo", "dev.rillet.elmo.runtime..");

  private static final List<Class<? extends Annotation>> API_MARKS =
      List.of(PublicEvolving.class, Experimental.class, Internal.class);

  @ArchTest
  static final ArchRule publicClassesAreMarked =
      classes()
          .that()
          .arePublic()
          .and()
          .areTopLevelClasses()
          .should(beMarkedWithExactlyOneOf(API_MARKS))
          .because(
              "a user must see what the library promises to keep (CONTRIBUTING.md, Public API)");

  @ArchTest
  static final ArchRule apiExposesNoInternalType =
      classes()
          .that()
          .areAnnotatedWith(PublicEvolving.class)
          .or()
          .areAnnotatedWith(Experimental.class)
          .should(notExposeInternalTypes())
          .because("an internal type may change at any time, so the API must not hand it out");

  private static ArchCondition<JavaClass> beMarkedWithExactlyOneOf(
      List<Class<? extends Annotation>> marks) {
    String names =
        marks.stream().map(m -> "@" + m.getSimpleName()).collect(Collectors.joining(", "));
    return new ArchCondition<>("be annotated with exactly one of " + names) {
      @Override
      public void check(JavaClass item, ConditionEvents events) {
        List<String> found =
            marks.stream().filter(item::isAnnotatedWith).map(m -> "@" + m.getSimpleName()).toList();
        if (found.size() != 1) {
          events.add(
              SimpleConditionEvent.violated(
                  item,
                  item.getName() + (found.isEmpty() ? " has none of " + names : " has " + found)));
        }
      }
    };
  }

  /**
   * The public constructors, methods and fields of an API class, and of its public nested classes
   * (a builder is API with its class), name no {@link Internal} type: not as a parameter, return,
   * field or thrown type, nor as a type argument of one. A member marked {@link Internal} itself is
   * exempt, as in Flink. The supertypes are not checked: an operator may extend an internal base
   * class whose public methods are Flink's operator interface.
   */
  private static ArchCondition<JavaClass> notExposeInternalTypes() {
    return new ArchCondition<>("expose no @Internal type in a public signature") {
      @Override
      public void check(JavaClass item, ConditionEvents events) {
        for (JavaClass api : withPublicNested(item)) {
          Stream.of(api.getConstructors(), api.getMethods(), api.getFields())
              .flatMap(Set::stream)
              .filter(m -> m.getModifiers().contains(JavaModifier.PUBLIC))
              .filter(m -> !m.getModifiers().contains(JavaModifier.SYNTHETIC))
              .filter(m -> !m.isAnnotatedWith(Internal.class))
              .forEach(
                  m -> {
                    Set<String> internal = new TreeSet<>();
                    for (JavaClass t : involvedTypes(m)) {
                      if (isInternal(t)) {
                        internal.add(t.getName());
                      }
                    }
                    if (!internal.isEmpty()) {
                      events.add(
                          SimpleConditionEvent.violated(
                              m, m.getFullName() + " exposes @Internal " + internal));
                    }
                  });
        }
      }
    };
  }

  private static List<JavaClass> withPublicNested(JavaClass top) {
    List<JavaClass> all = new ArrayList<>();
    all.add(top);
    for (int i = 0; i < all.size(); i++) {
      JavaClass c = all.get(i);
      for (JavaClass member : c.getPackage().getClasses()) {
        if (member.getEnclosingClass().map(c::equals).orElse(false)
            && member.getModifiers().contains(JavaModifier.PUBLIC)
            && !member.isAnonymousClass()
            && !member.isLocalClass()) {
          all.add(member);
        }
      }
    }
    return all;
  }

  private static Set<JavaClass> involvedTypes(JavaMember member) {
    Set<JavaClass> types = new HashSet<>();
    if (member instanceof JavaField f) {
      types.addAll(f.getType().getAllInvolvedRawTypes());
    } else if (member instanceof JavaCodeUnit u) {
      if (!(u instanceof JavaConstructor)) {
        types.addAll(u.getReturnType().getAllInvolvedRawTypes());
      }
      u.getParameterTypes().forEach(p -> types.addAll(p.getAllInvolvedRawTypes()));
      types.addAll(u.getThrowsClause().getTypes());
    }
    return types;
  }

  /**
   * A Rillet type is internal when it, or a class it is nested in, is marked {@link Internal}.
   * Flink's own internal types are not counted: an operator's overrides of Flink's operator
   * interface take {@code StreamRecord}, which Flink itself marks internal.
   */
  private static boolean isInternal(JavaClass type) {
    if (!type.getPackageName().startsWith("dev.rillet.")) {
      return false;
    }
    for (JavaClass c = type; c != null; c = c.getEnclosingClass().orElse(null)) {
      if (c.isAnnotatedWith(Internal.class)) {
        return true;
      }
    }
    return false;
  }

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
