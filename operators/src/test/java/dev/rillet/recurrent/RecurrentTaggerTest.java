package dev.rillet.recurrent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;
import static org.assertj.core.api.Assumptions.assumeThat;

import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtProvider;
import dev.rillet.onnx.ExecutionProvider;
import dev.rillet.segment.SegmentedEvent;
import dev.rillet.testutils.TestModels;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.java.typeutils.PojoTypeInfo;
import org.apache.flink.core.memory.DataInputDeserializer;
import org.apache.flink.core.memory.DataOutputSerializer;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.streaming.api.watermark.Watermark;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Bundle flush triggers, long events interleaved with other streams, state lifecycle,
 * snapshot/restore and key isolation of the tagger.
 */
class RecurrentTaggerTest {
  private static final Path GRU = TestModels.get("test-gru");
  private static final Path LSTM = TestModels.get("test-lstm");

  private static SegmentedEvent ev(String stream, long seq, long pos, String... tokens) {
    return TaggerHarness.event(stream, seq, pos, pos == 0, List.of(tokens));
  }

  @Test
  void holdsTokensUntilTheBundleIsFullThenFlushes() throws Exception {
    var h = TaggerHarness.open(GRU, 5, 64);
    h.processElement(ev("a", 0, 0, "the", "cat"), 0);
    h.processElement(ev("b", 0, 0, "a", "dog"), 0);
    assertThat(h.extractOutputValues()).isEmpty();
    h.processElement(ev("a", 1, 2, "sat"), 0);
    assertThat(h.extractOutputValues())
        .extracting(t -> t.event.streamId + t.event.seq)
        .containsExactly("a0", "b0", "a1");
    h.close();
  }

  @Test
  void flushesWhenTheMaxDelayPasses() throws Exception {
    var h = TaggerHarness.open(GRU, 1000, 64);
    h.setProcessingTime(0);
    h.processElement(ev("a", 0, 0, "hello"), 0);
    h.setProcessingTime(49);
    assertThat(h.extractOutputValues()).isEmpty();
    h.setProcessingTime(50);
    assertThat(h.extractOutputValues()).hasSize(1);
    h.close();
  }

  @Test
  void flushesBeforeForwardingAWatermark() throws Exception {
    var h = TaggerHarness.open(GRU, 1000, 64);
    h.processElement(ev("a", 0, 0, "hello", "world"), 10);
    h.processWatermark(20);
    List<Object> out = List.copyOf(h.getOutput());
    assertThat(out).hasSize(2);
    assertThat(out.get(0)).isInstanceOf(StreamRecord.class);
    assertThat(((StreamRecord<?>) out.get(0)).getTimestamp()).isEqualTo(10);
    assertThat(out.get(1)).isEqualTo(new Watermark(20));
    h.close();
  }

  @Test
  void flushesBeforeTheCheckpointBarrierSoBuffersNeedNoState() throws Exception {
    var h = TaggerHarness.open(GRU, 1000, 64);
    h.processElement(ev("a", 0, 0, "hello"), 0);
    h.prepareSnapshotPreBarrier(1);
    assertThat(h.extractOutputValues()).hasSize(1);
    h.close();
  }

  @Test
  void flushesOnFinish() throws Exception {
    var h = TaggerHarness.open(GRU, 1000, 64);
    h.processElement(ev("a", 0, 0, "hello"), 0);
    TaggerHarness.tagger(h).finish();
    assertThat(h.extractOutputValues()).hasSize(1);
    h.close();
  }

  @Test
  void restoringAnotherModelsStateFailsOnceNamingBothModels() throws Exception {
    var gru = TaggerHarness.open(GRU, 3, 64);
    gru.processElement(ev("a", 0, 0, "i", "like"), 0);
    gru.prepareSnapshotPreBarrier(1);
    OperatorSubtaskState snapshot = gru.snapshot(1, 1);
    String gruId = TaggerHarness.tagger(gru).storedState("a").modelId;
    gru.close();

    var lstm = TaggerHarness.create(LSTM, 3, 64);
    lstm.initializeState(snapshot);
    assertThatThrownBy(lstm::open)
        .isInstanceOf(org.apache.flink.runtime.execution.SuppressRestartsException.class)
        .cause()
        .isInstanceOf(RestoredModelMismatchException.class)
        .hasMessageContaining("written by model " + gruId)
        .hasMessageContaining("--model " + LSTM)
        .hasMessageContaining("--fresh");

    // The same model restores without complaint.
    var again = TaggerHarness.create(GRU, 3, 64);
    again.initializeState(snapshot);
    again.open();
    again.close();
  }

  @Test
  void restoredStateContinuesExactlyWhereTheStreamWas() throws Exception {
    // Uninterrupted run.
    var whole = TaggerHarness.open(LSTM, 3, 64);
    List<SegmentedEvent> events =
        List.of(
            ev("a", 0, 0, "i", "like"),
            ev("b", 0, 0, "so", "bad"),
            ev("a", 1, 2, "this", "film"),
            ev("b", 1, 2, "really", "."));
    for (SegmentedEvent e : events) {
      whole.processElement(e, 0);
    }
    TaggerHarness.tagger(whole).finish();
    List<TaggedEvent> expected = TaggerHarness.outputs(whole);
    whole.close();

    // Same events with a checkpoint and a restore into a fresh operator in between.
    var first = TaggerHarness.open(LSTM, 3, 64);
    first.processElement(events.get(0), 0);
    first.processElement(events.get(1), 0);
    first.prepareSnapshotPreBarrier(1);
    OperatorSubtaskState snapshot = first.snapshot(1, 1);
    List<TaggedEvent> before = TaggerHarness.outputs(first);
    first.close();

    var second = TaggerHarness.create(LSTM, 3, 64);
    second.initializeState(snapshot);
    second.open();
    second.processElement(events.get(2), 0);
    second.processElement(events.get(3), 0);
    TaggerHarness.tagger(second).finish();
    List<TaggedEvent> after = TaggerHarness.outputs(second);
    assertThat(TaggerHarness.tagger(second).storedState("a").nextPosition).isEqualTo(4);
    second.close();

    assertThat(before).hasSize(2);
    assertThat(after).hasSize(2);
    assertSameTags(before.get(0), expected.get(0));
    assertSameTags(before.get(1), expected.get(1));
    assertSameTags(after.get(0), expected.get(2));
    assertSameTags(after.get(1), expected.get(3));
  }

  @Test
  void endOfStreamReleasesStateAndTheNextStreamStartsFresh() throws Exception {
    var h = TaggerHarness.open(GRU, 1, 64);
    h.processElement(ev("a", 0, 0, "good", "movie"), 0);
    SegmentedEvent eos = ev("a", 1, 2, "!");
    eos.endOfStream = true;
    h.processElement(eos, 0);
    assertThat(TaggerHarness.tagger(h).storedState("a")).isNull();
    assertThat(h.numKeyedStateEntries()).isZero();

    // A new stream under the same id behaves exactly like a brand-new stream.
    h.processElement(ev("a", 0, 0, "so", "dull"), 0);
    h.processElement(ev("z", 0, 0, "so", "dull"), 0);
    List<TaggedEvent> out = TaggerHarness.outputs(h);
    assertSameTags(out.get(2), out.get(3));
    assertThat(out.get(2).tokensSeen).isEqualTo(2);
    h.close();
  }

  @Test
  void expiryMarkerReleasesState() throws Exception {
    var h = TaggerHarness.open(GRU, 1, 64);
    h.processElement(ev("a", 0, 0, "hello"), 0);
    assertThat(h.numKeyedStateEntries()).isEqualTo(1);
    SegmentedEvent marker =
        new SegmentedEvent(
            "a",
            SegmentedEvent.NO_SEQ,
            5000,
            "",
            false,
            false,
            true,
            null,
            0,
            new dev.rillet.segment.SegmentedToken[0]);
    h.processElement(marker, 5000);
    assertThat(h.numKeyedStateEntries()).isZero();
    assertThat(TaggerHarness.outputs(h)).hasSize(2);
    h.close();
  }

  @Test
  void streamsDoNotSeeEachOthersState() throws Exception {
    var alone = TaggerHarness.open(GRU, 64, 64);
    alone.processElement(ev("a", 0, 0, "what", "a", "great", "day"), 0);
    TaggerHarness.tagger(alone).finish();
    TaggedEvent expected = TaggerHarness.outputs(alone).get(0);
    alone.close();

    var mixed = TaggerHarness.open(GRU, 64, 64);
    mixed.processElement(ev("b", 0, 0, "terrible", "awful", "bad"), 0);
    mixed.processElement(ev("a", 0, 0, "what", "a"), 0);
    mixed.processElement(ev("b", 1, 3, "worse", "still"), 0);
    mixed.processElement(ev("a", 1, 2, "great", "day"), 0);
    TaggerHarness.tagger(mixed).finish();
    List<TaggedEvent> out = TaggerHarness.outputs(mixed);
    TaggedEvent a1 =
        out.stream()
            .filter(t -> t.event.streamId.equals("a") && t.event.seq == 1)
            .findFirst()
            .orElseThrow();
    assertThat(a1.tags[1]).isEqualTo(expected.tags[3]);
    assertThat(a1.tagProbabilities[1]).isCloseTo(expected.tagProbabilities[3], within(1e-6f));
    assertThat(a1.sentimentProbabilities)
        .containsExactly(expected.sentimentProbabilities, within(1e-6f));
    mixed.close();
  }

  /** An event of {@code n} vocabulary words, cycling through a few. */
  private static SegmentedEvent longEvent(String stream, long seq, int n) {
    String[] words = {"the", "cat", "sat", "on", "a", "mat", "and", "slept", "."};
    List<String> tokens = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      tokens.add(words[i % words.length]);
    }
    return TaggerHarness.event(stream, seq, 0, true, tokens);
  }

  private static List<String> order(List<Object> output) {
    List<String> order = new ArrayList<>();
    for (Object o : output) {
      order.add(
          o instanceof Watermark
              ? "watermark"
              : ((TaggedEvent) ((StreamRecord<?>) o).getValue()).event.streamId);
    }
    return order;
  }

  @Test
  void aHugeEventDoesNotHoldUpAnotherStreamsTags() throws Exception {
    // 5,000 tokens for stream "huge" (20 chunks of at most 256), then 6 tokens for "small". The
    // mailbox runs between records, as in a task.
    var h = TaggerHarness.open(GRU, 256, 64, 256);
    h.processElement(longEvent("huge", 0, 5000), 0);
    assertThat(h.extractOutputValues()).as("only a first chunk ran").isEmpty();
    h.processElement(ev("small", 0, 0, "the", "cat", "sat", "on", "it", "."), 0);
    // The first mail steps aside for the input (a record arrived), the second runs a part: all of
    // "small" and the second chunk of "huge".
    assertThat(TaggerHarness.runMails(h)).isEqualTo(1);
    assertThat(h.extractOutputValues()).isEmpty();
    assertThat(TaggerHarness.runMails(h)).isEqualTo(1);
    assertThat(h.extractOutputValues()).extracting(t -> t.event.streamId).containsExactly("small");
    int mails = 0;
    while (h.getTaskMailbox().hasMail()) {
      mails += TaggerHarness.runMails(h);
    }
    // "huge" had 18 chunks left after "small" was tagged, one per mail.
    assertThat(mails).isEqualTo(18);
    List<TaggedEvent> out = TaggerHarness.outputs(h);
    assertThat(out).extracting(t -> t.event.streamId).containsExactly("small", "huge");
    assertThat(out.get(1).tags).hasSize(5000).doesNotContainNull();
    assertThat(out.get(1).tokensSeen).isEqualTo(5000);
    assertThat(TaggerHarness.tagger(h).storedState("huge").nextPosition).isEqualTo(5000);

    // Token-by-token stepping (chunking off) runs all of "huge" before reading "small", and
    // tags it the same.
    var stepped = TaggerHarness.open(GRU, 256, 64, 1);
    stepped.processElement(longEvent("huge", 0, 5000), 0);
    assertThat(stepped.getTaskMailbox().hasMail()).isFalse();
    stepped.processElement(ev("small", 0, 0, "the", "cat", "sat", "on", "it", "."), 0);
    TaggerHarness.tagger(stepped).finish();
    List<TaggedEvent> steppedOut = TaggerHarness.outputs(stepped);
    assertThat(steppedOut).extracting(t -> t.event.streamId).containsExactly("huge", "small");
    assertSameTags(out.get(1), steppedOut.get(0));
    assertSameTags(out.get(0), steppedOut.get(1));
    stepped.close();
    h.close();
  }

  @Test
  void recordsArrivingWhileAHugeEventRunsAreReadBeforeItsNextChunk() throws Exception {
    // A burst of 20 short events queued behind the huge one: each mail lets one record in
    // without running a chunk, so all 20 are tagged together by the first part after the burst.
    var h = TaggerHarness.open(GRU, 256, 64, 256);
    h.processElement(longEvent("huge", 0, 5000), 0);
    for (int s = 0; s < 20; s++) {
      h.processElement(ev("s" + s, 0, 0, "a", "dog", "ran"), 0);
      assertThat(TaggerHarness.runMails(h)).isEqualTo(1);
      assertThat(h.extractOutputValues()).isEmpty();
    }
    TaggerHarness.runMails(h);
    assertThat(h.extractOutputValues()).hasSize(20).noneMatch(t -> t.event.streamId.equals("huge"));
    h.close();
  }

  @Test
  void aWatermarkWaitsForTheHugeEventBeforeIt() throws Exception {
    var h = TaggerHarness.open(GRU, 256, 64, 256);
    h.processElement(longEvent("huge", 0, 1000), 10);
    h.processWatermark(20);
    // Held back, not forced through: the rest of "huge" would stall every other stream.
    assertThat(h.getOutput()).isEmpty();
    h.processElement(ev("small", 0, 0, "a", "dog"), 30);
    while (h.getTaskMailbox().hasMail()) {
      TaggerHarness.runMails(h);
    }
    List<Object> out = List.copyOf(h.getOutput());
    assertThat(order(out)).containsExactly("small", "huge", "watermark");
    assertThat(out.get(2)).isEqualTo(new Watermark(20));

    // Once nothing is unfinished, a watermark is forwarded at once again.
    h.processWatermark(40);
    assertThat(order(List.copyOf(h.getOutput())))
        .containsExactly("small", "huge", "watermark", "watermark");
    h.close();
  }

  @Test
  void theCheckpointBarrierWaitsForTheWholeHugeEvent() throws Exception {
    var h = TaggerHarness.open(GRU, 256, 64, 256);
    h.processElement(longEvent("huge", 0, 1000), 10);
    h.processWatermark(20);
    h.prepareSnapshotPreBarrier(1);
    // Everything ran before the barrier (the bundle is never checkpointed), the held watermark
    // after it; the continuation finds nothing left.
    assertThat(order(List.copyOf(h.getOutput()))).containsExactly("huge", "watermark");
    assertThat(TaggerHarness.tagger(h).storedState("huge").nextPosition).isEqualTo(1000);
    TaggerHarness.runMails(h);
    assertThat(h.getOutput()).hasSize(2);
    assertThat(h.getTaskMailbox().hasMail()).isFalse();
    h.close();
  }

  @Test
  void buildNamesEveryMissingSetting(@TempDir Path empty) {
    assertThatThrownBy(() -> RecurrentTagger.builder().maxBatchSize(0).build())
        .hasMessageContaining("modelDir is not set")
        .hasMessageContaining("maxBatchSize must be >= 1");
    assertThatThrownBy(() -> RecurrentTagger.builder().maxChunkTokens(0).build())
        .hasMessageContaining("maxChunkTokens must be >= 1");
    assertThatThrownBy(() -> RecurrentTagger.builder().modelDir(empty).build())
        .hasMessageContaining("holds no manifest.json");
  }

  /** CUDA asked for in a build without it: refused when the job is built, not on the cluster. */
  @Test
  void buildRefusesCudaWhereTheBuildHasNone() {
    assumeThat(OrtEnvironment.getAvailableProviders()).doesNotContain(OrtProvider.CUDA);
    assertThatThrownBy(
            () ->
                RecurrentTagger.builder()
                    .modelDir(TestModels.get("test-gru"))
                    .executionProvider(ExecutionProvider.CUDA)
                    .build())
        .hasMessageContaining("--execution-provider cuda: this build's ONNX Runtime has no CUDA");
    RecurrentTagger.builder()
        .modelDir(TestModels.get("test-gru"))
        .executionProvider(ExecutionProvider.AUTO)
        .build();
  }

  @Test
  void typesTravelWithoutKryo() throws Exception {
    assertThat(TypeInformation.of(TaggedEvent.class)).isInstanceOf(PojoTypeInfo.class);
    assertThat(TypeInformation.of(SegmentedEvent.class)).isInstanceOf(PojoTypeInfo.class);

    RecurrentState s = new RecurrentState("m@1", new float[] {1f, -2.5f, 3e-7f}, 42, 7, 123456);
    DataOutputSerializer out = new DataOutputSerializer(64);
    RecurrentStateSerializer.INSTANCE.serialize(s, out);
    RecurrentState back =
        RecurrentStateSerializer.INSTANCE.deserialize(
            new DataInputDeserializer(out.getCopyOfBuffer()));
    assertThat(back).isEqualTo(s);
    assertThat(
            RecurrentStateSerializer.INSTANCE
                .snapshotConfiguration()
                .resolveSchemaCompatibility(
                    RecurrentStateSerializer.INSTANCE.snapshotConfiguration())
                .isCompatibleAsIs())
        .isTrue();
  }

  private static void assertSameTags(TaggedEvent actual, TaggedEvent expected) {
    assertThat(actual.tags).containsExactly(expected.tags);
    assertThat(actual.tagProbabilities).containsExactly(expected.tagProbabilities, within(1e-6f));
    assertThat(actual.sentimentProbabilities)
        .containsExactly(expected.sentimentProbabilities, within(1e-6f));
  }
}
