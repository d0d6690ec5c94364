package dev.rillet.bundle;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.rillet.onnx.ExecutionProvider;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class BatchLimitTest {
  private static final BatchLimit DEFAULT = BatchLimit.byProvider(64, 256);

  @Test
  void aDefaultTakesTheValueOfTheProviderInUse() {
    assertThat(DEFAULT.on(ExecutionProvider.CPU)).isEqualTo(64);
    assertThat(DEFAULT.on(ExecutionProvider.CUDA)).isEqualTo(256);
    assertThat(DEFAULT.explain(ExecutionProvider.CPU)).isEqualTo("64 (cpu default)");
    assertThat(DEFAULT.explain(ExecutionProvider.CUDA)).isEqualTo("256 (cuda default)");
  }

  @Test
  void aSetValueHoldsOnEveryProvider() {
    BatchLimit set = BatchLimit.set(100);
    assertThat(set.on(ExecutionProvider.CPU)).isEqualTo(100);
    assertThat(set.on(ExecutionProvider.CUDA)).isEqualTo(100);
    assertThat(set.explain(ExecutionProvider.CUDA)).isEqualTo("100 (set)");
    // Set to what a default would pick: still reported as the user's.
    assertThat(BatchLimit.set(64).explain(ExecutionProvider.CPU)).isEqualTo("64 (set)");
  }

  @Test
  void autoIsAChoiceNotAProviderInUse() {
    assertThatThrownBy(() -> DEFAULT.on(ExecutionProvider.AUTO))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("not for auto");
  }

  @Test
  void printsWhatHelpSays() {
    assertThat(DEFAULT).hasToString("64 on CPU, 256 on CUDA");
    assertThat(BatchLimit.set(7)).hasToString("7");
  }

  @Test
  void checkNamesTheSettingAndChecksADefaultOnBothProviders() {
    assertThat(problems("maxBatchSize", DEFAULT)).isEmpty();
    assertThat(problems("maxBatchSize", BatchLimit.set(1))).isEmpty();
    assertThat(problems("maxBatchSize", BatchLimit.set(0)))
        .containsExactly("maxBatchSize must be >= 1, got 0");
    assertThat(problems("maxBundleTokens", BatchLimit.byProvider(256, 0)))
        .containsExactly(
            "maxBundleTokens must be >= 1 on both providers, got 256 on CPU, 0 on CUDA");
    assertThat(problems("maxBatchTokens", null))
        .singleElement()
        .asString()
        .startsWith("maxBatchTokens is null");
  }

  private static List<String> problems(String name, BatchLimit limit) {
    List<String> problems = new ArrayList<>();
    BatchLimit.check(name, limit, problems);
    return problems;
  }
}
