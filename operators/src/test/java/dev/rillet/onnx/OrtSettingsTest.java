package dev.rillet.onnx;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.onnxruntime.OrtSession;
import dev.rillet.elmo.ElmoHeads;
import dev.rillet.testutils.TestModels;
import org.junit.jupiter.api.Test;

class OrtSettingsTest {
  @Test
  void rejectsFewerThanOneIntraOpThread() {
    try (OrtSession.SessionOptions options = new OrtSession.SessionOptions()) {
      assertThatThrownBy(() -> OrtSettings.configure(options, 0))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("intraOpThreads must be >= 1, got 0");
    }
  }

  /** The ELMo heads used to pass 0 on to ONNX Runtime (its own default pool); now refused too. */
  @Test
  void elmoHeadsRejectZeroThreadsAsTheOtherModelsDo() {
    assertThatThrownBy(() -> ElmoHeads.load(TestModels.get("test-elmo-heads-plain"), 0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("intraOpThreads");
    assertThatThrownBy(() -> SharedOrt.acquire(TestModels.get("test-gru"), 0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("intraOpThreads");
  }
}
