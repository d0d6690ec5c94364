package dev.rillet.onnx;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class BatchSizeTest {
  @Test
  void theLimitFollowsTheProviderInUse() {
    BatchSize size = new BatchSize(64, 256);
    assertThat(size.on(ExecutionProvider.CPU)).isEqualTo(64);
    assertThat(size.on(ExecutionProvider.CUDA)).isEqualTo(256);
    assertThat(size).hasToString("64 on the CPU, 256 on CUDA");
  }

  @Test
  void aFixedLimitIsTheSameEverywhere() {
    BatchSize size = BatchSize.fixed(8);
    assertThat(size.on(ExecutionProvider.CPU)).isEqualTo(8);
    assertThat(size.on(ExecutionProvider.CUDA)).isEqualTo(8);
    assertThat(size).hasToString("8");
  }

  @Test
  void limitsBelowOneAreRefused() {
    assertThatThrownBy(() -> new BatchSize(0, 4)).hasMessageContaining("cpu 0");
    assertThatThrownBy(() -> BatchSize.fixed(-1)).hasMessageContaining(">= 1");
  }
}
