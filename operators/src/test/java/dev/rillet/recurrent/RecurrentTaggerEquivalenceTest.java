package dev.rillet.recurrent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import dev.rillet.onnx.RecurrentModelPackage;
import dev.rillet.segment.SegmentedEvent;
import dev.rillet.testutils.SequenceReference;
import dev.rillet.testutils.TestModels;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The bundled operator must compute exactly what one whole-sequence ONNX call computes per stream,
 * whatever the bundle size, batch size, chunk size and interleaving: random token streams, chopped
 * into random events and interleaved across streams, against each stream's sequence in a single
 * call. With long events (two streams of 600-1000 tokens in events of up to 300), the operator
 * steps them as {@code [1,T]} chunks; its outputs must also equal token-by-token stepping (the same
 * input through a tagger with {@code maxChunkTokens} 1) within 1e-5.
 */
class RecurrentTaggerEquivalenceTest {
  private static final float TOLERANCE = 1e-5f;

  static Stream<Arguments> cases() {
    List<Arguments> cases = new ArrayList<>();
    for (String model : List.of("test-gru", "test-lstm", "test-rnn")) {
      for (int bundle : new int[] {1, 7, 64}) {
        cases.add(Arguments.of(model, bundle, 64, 256, false));
      }
      // Fewer rows per call than streams in a round: a round takes several calls.
      cases.add(Arguments.of(model, 64, 5, 256, false));
      // Long events: chunks of the default size, and small chunks that do not divide the runs.
      cases.add(Arguments.of(model, 64, 64, 256, true));
      cases.add(Arguments.of(model, 7, 5, 7, true));
    }
    return cases.stream();
  }

  @ParameterizedTest(name = "{0} bundle={1} batch={2} chunk={3} long={4}")
  @MethodSource("cases")
  void bundledStepsEqualWholeSequenceCall(
      String modelName, int bundle, int batch, int chunk, boolean longEvents) throws Exception {
    Path modelDir = TestModels.get(modelName);
    List<String> vocabulary = Files.readAllLines(modelDir.resolve("vocab.txt"));
    Random random = new Random(7 + bundle * 31L + batch + (longEvents ? 1000 : 0));

    // 12 streams, 1..40 tokens each, words from the vocabulary plus unknown words; with long
    // events the first two streams have 600..999 tokens in events of up to 300.
    Map<String, List<String>> streams = new HashMap<>();
    List<List<SegmentedEvent>> eventsPerStream = new ArrayList<>();
    for (int s = 0; s < 12; s++) {
      String id = "stream-" + s;
      boolean isLong = longEvents && s < 2;
      int length = isLong ? 600 + random.nextInt(400) : 1 + random.nextInt(40);
      List<String> tokens = new ArrayList<>();
      for (int i = 0; i < length; i++) {
        tokens.add(
            random.nextInt(10) == 0
                ? "unknown" + random.nextInt(1000) + "xyz"
                : vocabulary.get(2 + random.nextInt(vocabulary.size() - 2)));
      }
      streams.put(id, tokens);
      List<SegmentedEvent> events = new ArrayList<>();
      int position = 0;
      long seq = 0;
      while (position < length) {
        int n = Math.min(length - position, 1 + random.nextInt(isLong ? 300 : 6));
        events.add(
            TaggerHarness.event(
                id, seq++, position, position == 0, tokens.subList(position, position + n)));
        position += n;
      }
      eventsPerStream.add(events);
    }
    // Interleave: repeatedly pick a random stream that still has events; per-stream order kept.
    List<SegmentedEvent> input = new ArrayList<>();
    int[] next = new int[eventsPerStream.size()];
    int remaining = eventsPerStream.stream().mapToInt(List::size).sum();
    while (remaining > 0) {
      int s = random.nextInt(eventsPerStream.size());
      if (next[s] < eventsPerStream.get(s).size()) {
        input.add(eventsPerStream.get(s).get(next[s]++));
        remaining--;
      }
    }

    var harness = TaggerHarness.open(modelDir, bundle, batch, chunk);
    for (SegmentedEvent e : input) {
      harness.processElement(e, e.eventTime);
      // As the task's mailbox loop does: pending mails (the next chunks) run between records.
      TaggerHarness.runMails(harness);
    }
    TaggerHarness.tagger(harness).finish();
    List<TaggedEvent> out = TaggerHarness.outputs(harness);

    if (longEvents) {
      // Token-by-token stepping of the same input must give the same outputs.
      var stepped = TaggerHarness.open(modelDir, bundle, batch, 1);
      for (SegmentedEvent e : input) {
        stepped.processElement(e, e.eventTime);
      }
      TaggerHarness.tagger(stepped).finish();
      assertSameOutputs(out, TaggerHarness.outputs(stepped));
      stepped.close();
    }

    try (RecurrentModelPackage model =
        RecurrentModelPackage.load(
            modelDir, OrtEnvironment.getEnvironment(), new OrtSession.SessionOptions())) {
      // Every event comes out once; per stream in seq order.
      assertThat(out).hasSize(input.size());
      Map<String, List<TaggedEvent>> byStream = new HashMap<>();
      for (TaggedEvent t : out) {
        byStream.computeIfAbsent(t.event.streamId, k -> new ArrayList<>()).add(t);
      }
      for (var entry : streams.entrySet()) {
        String id = entry.getKey();
        List<String> tokens = entry.getValue();
        SequenceReference ref = SequenceReference.run(model, tokens);
        List<TaggedEvent> tagged = byStream.get(id);
        assertThat(tagged).extracting(t -> t.event.seq).isSorted();
        int position = 0;
        for (TaggedEvent t : tagged) {
          for (int i = 0; i < t.event.tokens.length; i++, position++) {
            float[] expected = SequenceReference.softmax(ref.tagLogits[position]);
            int best = SequenceReference.argmax(expected);
            assertThat(t.tags[i])
                .as("%s token %d tag", id, position)
                .isEqualTo(model.tagLabels().get(best));
            assertThat(t.tagProbabilities[i])
                .as("%s token %d probability", id, position)
                .isCloseTo(expected[best], within(TOLERANCE));
          }
          assertThat(t.tokensSeen).isEqualTo(position);
          float[] sentiment = SequenceReference.softmax(ref.sentimentLogits[position - 1]);
          assertThat(t.sentimentProbabilities).hasSameSizeAs(sentiment);
          for (int c = 0; c < sentiment.length; c++) {
            assertThat(t.sentimentProbabilities[c]).isCloseTo(sentiment[c], within(TOLERANCE));
          }
        }
        assertThat(position).isEqualTo(tokens.size());
        RecurrentState state = TaggerHarness.tagger(harness).storedState(id);
        assertThat(state.nextPosition).isEqualTo(tokens.size());
        assertThat(state.tensors).hasSameSizeAs(ref.finalState);
        for (int j = 0; j < ref.finalState.length; j++) {
          assertThat(state.tensors[j])
              .as("%s final state[%d]", id, j)
              .isCloseTo(ref.finalState[j], within(TOLERANCE));
        }
      }
    }
    harness.close();
  }

  /** Per (stream, seq): the same tags, and probabilities and sentiment within the tolerance. */
  private static void assertSameOutputs(List<TaggedEvent> actual, List<TaggedEvent> expected) {
    assertThat(actual).hasSameSizeAs(expected);
    Map<String, TaggedEvent> byEvent = new HashMap<>();
    for (TaggedEvent t : expected) {
      byEvent.put(t.event.streamId + "#" + t.event.seq, t);
    }
    for (TaggedEvent a : actual) {
      String id = a.event.streamId + "#" + a.event.seq;
      TaggedEvent e = byEvent.get(id);
      assertThat(e).as("event %s", id).isNotNull();
      assertThat(a.tags).as("%s tags", id).containsExactly(e.tags);
      assertThat(a.tokensSeen).as("%s tokens seen", id).isEqualTo(e.tokensSeen);
      for (int i = 0; i < a.tagProbabilities.length; i++) {
        assertThat(a.tagProbabilities[i])
            .as("%s token %d probability", id, i)
            .isCloseTo(e.tagProbabilities[i], within(TOLERANCE));
      }
      assertThat(a.sentimentProbabilities).hasSameSizeAs(e.sentimentProbabilities);
      for (int c = 0; c < a.sentimentProbabilities.length; c++) {
        assertThat(a.sentimentProbabilities[c])
            .as("%s sentiment %d", id, c)
            .isCloseTo(e.sentimentProbabilities[c], within(TOLERANCE));
      }
    }
  }
}
