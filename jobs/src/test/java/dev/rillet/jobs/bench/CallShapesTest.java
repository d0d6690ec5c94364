package dev.rillet.jobs.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.rillet.onnx.OrtSettings;
import dev.rillet.onnx.RecurrentModelPackage;
import dev.rillet.onnx.SharedCache;
import dev.rillet.onnx.SharedOrt;
import dev.rillet.testutils.TestModels;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Runs the call-shape comparison briefly and checks the table it prints (not its timings). */
class CallShapesTest {
  @Test
  void printsOneRowPerRunLengthWhoseRatioIsSteppedOverWhole() throws Exception {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (SharedCache.Lease<RecurrentModelPackage> lease =
            SharedOrt.acquire(TestModels.get("test-gru"), OrtSettings.of(1));
        PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8)) {
      CallShapes.compare(lease.get(), 4, new int[] {2, 5}, 2_000_000L, out);
    }
    List<String> lines = bytes.toString(StandardCharsets.UTF_8).lines().toList();

    assertThat(lines).hasSize(4);
    assertThat(lines.get(0)).contains("4 streams x T tokens as T [4,1] calls vs one [4,T] call");
    for (int row = 0; row < 2; row++) {
      String[] cells = lines.get(2 + row).trim().split("\\s+");
      assertThat(cells[0]).isEqualTo(row == 0 ? "2" : "5");
      double stepped = Double.parseDouble(cells[1]);
      double whole = Double.parseDouble(cells[2]);
      assertThat(stepped).isPositive();
      assertThat(whole).isPositive();
      double ratio = Double.parseDouble(cells[3].replace("x", ""));
      // Printed values are rounded to 0.01: the ratio agrees with them to that precision.
      assertThat(ratio).isCloseTo(stepped / whole, within(0.01 + 0.02 * stepped / whole));
    }
  }
}
