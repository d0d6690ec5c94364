package dev.rillet.recurrent;

import dev.rillet.avro.ModelUpdate;
import dev.rillet.avro.ModelUpdatePolicy;
import dev.rillet.segment.SegmentedEvent;
import dev.rillet.testutils.TestModels;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.streaming.util.KeyedTwoInputStreamOperatorTestHarness;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfEnvironmentVariable;
import org.junit.jupiter.api.io.TempDir;

/**
 * A measurement, not a test (it asserts nothing and runs only with {@code RILLET_MEASURE=
 * model-swap}): the time a model update holds the tagger's task thread (load and validate the
 * package, flush the bundle, switch) and the memory a second loaded model adds, for the shipped
 * rillet-gru. The second model is a copy of the package under another version, so both are loaded
 * as separate sessions, as two real versions of a model would be.
 *
 * <pre>
 * RILLET_MEASURE=model-swap mvn -pl operators -am test -Dtest=ModelSwapMeasurement \
 *     -Dsurefire.failIfNoSpecifiedTests=false
 * </pre>
 */
@EnabledIfEnvironmentVariable(named = "RILLET_MEASURE", matches = "model-swap")
class ModelSwapMeasurement {
  @TempDir Path tmp;

  @Test
  void measure() throws Exception {
    Path a = TestModels.get("rillet-gru");
    Path b = versioned(a, tmp.resolve("rillet-gru-b"), "1.2.8");
    Path c = versioned(a, tmp.resolve("rillet-gru-c"), "1.2.9");
    String aId = modelId(a);
    String bId = modelId(b);
    String cId = modelId(c);

    RecurrentTagger tagger =
        RecurrentTagger.builder()
            .modelDir(a)
            .maxBundleTokens(256)
            .maxDelay(Duration.ofMillis(5))
            .build();
    var h =
        new KeyedTwoInputStreamOperatorTestHarness<
            String, SegmentedEvent, ModelUpdate, TaggedEvent>(
            tagger, e -> e.streamId, null, Types.STRING);
    h.open();
    for (int s = 0; s < 100; s++) {
      h.processElement1(
          TaggerHarness.event("s" + s, 0, 0, true, List.of("the", "film", "was", "good")), 0);
    }
    h.prepareSnapshotPreBarrier(1);
    System.gc();
    long rssOne = rssKib();

    // DRAIN: both models stay loaded while the 100 streams are on the first.
    long start = System.nanoTime();
    h.processElement2(update(b, bId, ModelUpdatePolicy.DRAIN), 0);
    long firstSwapMicros = (System.nanoTime() - start) / 1000;
    for (int s = 0; s < 100; s++) {
      h.processElement1(
          TaggerHarness.event("n" + s, 0, 0, true, List.of("the", "film", "was", "good")), 0);
      h.processElement1(TaggerHarness.event("s" + s, 1, 4, false, List.of("really", ".")), 0);
    }
    h.prepareSnapshotPreBarrier(2);
    System.gc();
    long rssTwo = rssKib();
    System.out.printf(
        "model-swap: %s, RSS with one model loaded %d MiB, with two %d MiB: +%d MiB%n",
        aId, rssOne / 1024, rssTwo / 1024, (rssTwo - rssOne) / 1024);
    System.out.printf("model-swap: first swap (cold) %.1f ms%n", firstSwapMicros / 1000.0);

    // RESET back and forth between two more versions: each load is of a package not in memory.
    List<Double> millis = new ArrayList<>();
    String[] ids = {cId, bId};
    Path[] dirs = {c, b};
    for (int i = 0; i < 10; i++) {
      h.processElement1(TaggerHarness.event("s0", 2 + i, 6 + i, false, List.of("ok")), 0);
      start = System.nanoTime();
      h.processElement2(update(dirs[i % 2], ids[i % 2], ModelUpdatePolicy.RESET), 0);
      millis.add((System.nanoTime() - start) / 1e6);
    }
    millis.sort(null);
    System.out.printf(
        "model-swap: RESET swap (load + validate + flush + switch), 10 swaps: median %.1f ms,"
            + " max %.1f ms%n",
        millis.get(5), millis.get(9));
    h.close();
  }

  private static ModelUpdate update(Path dir, String id, ModelUpdatePolicy policy) {
    return ModelUpdate.newBuilder()
        .setUpdateId("m-" + System.nanoTime())
        .setCreatedAt(System.currentTimeMillis())
        .setModelId(id)
        .setPackageDir(dir.toString())
        .setPolicy(policy)
        .build();
  }

  private static Path versioned(Path source, Path target, String version) throws Exception {
    TestModels.copy(source, target);
    Path manifest = target.resolve("manifest.json");
    String json = Files.readString(manifest, StandardCharsets.UTF_8);
    Files.writeString(
        manifest,
        json.replaceFirst("\"version\": *\"[^\"]*\"", "\"version\": \"" + version + "\""),
        StandardCharsets.UTF_8);
    // The graph's metadata names the version too (the package check compares them): patch the
    // value of rillet.model.version in place, same length, so the protobuf stays valid.
    Path onnx = target.resolve("model.onnx");
    byte[] bytes = Files.readAllBytes(onnx);
    byte[] key = "rillet.model.version".getBytes(StandardCharsets.US_ASCII);
    int at = indexOf(bytes, key);
    byte[] value = version.getBytes(StandardCharsets.US_ASCII);
    if (at < 0 || bytes[at + key.length + 1] != value.length) {
      throw new IllegalStateException("cannot patch the version of " + onnx);
    }
    System.arraycopy(value, 0, bytes, at + key.length + 2, value.length);
    Files.write(onnx, bytes);
    return target;
  }

  private static int indexOf(byte[] haystack, byte[] needle) {
    outer:
    for (int i = 0; i + needle.length <= haystack.length; i++) {
      for (int j = 0; j < needle.length; j++) {
        if (haystack[i + j] != needle[j]) {
          continue outer;
        }
      }
      return i;
    }
    return -1;
  }

  private static String modelId(Path dir) throws Exception {
    try (var lease = dev.rillet.onnx.SharedOrt.acquire(dir, 1)) {
      return lease.get().modelId();
    }
  }

  private static long rssKib() throws Exception {
    for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
      if (line.startsWith("VmRSS:")) {
        return Long.parseLong(line.replaceAll("[^0-9]", ""));
      }
    }
    return -1;
  }
}
