package dev.rillet.recurrent;

import dev.rillet.segment.SegmentedEvent;
import dev.rillet.segment.SegmentedToken;
import dev.rillet.testutils.StateBackends;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.api.common.typeutils.TypeSerializer;
import org.apache.flink.streaming.runtime.tasks.mailbox.TaskMailbox;
import org.apache.flink.streaming.util.KeyedOneInputStreamOperatorTestHarness;

/** Builds harnessed taggers and segmented events for the tagger tests. */
final class TaggerHarness {
  private TaggerHarness() {}

  static KeyedOneInputStreamOperatorTestHarness<String, SegmentedEvent, TaggedEvent> open(
      Path model, int bundle, int batch) throws Exception {
    return open(model, bundle, batch, 256);
  }

  static KeyedOneInputStreamOperatorTestHarness<String, SegmentedEvent, TaggedEvent> open(
      Path model, int bundle, int batch, int chunk) throws Exception {
    var harness = create(model, bundle, batch, chunk);
    harness.open();
    return harness;
  }

  static KeyedOneInputStreamOperatorTestHarness<String, SegmentedEvent, TaggedEvent> create(
      Path model, int bundle, int batch) throws Exception {
    return create(model, bundle, batch, 256);
  }

  static KeyedOneInputStreamOperatorTestHarness<String, SegmentedEvent, TaggedEvent> create(
      Path model, int bundle, int batch, int chunk) throws Exception {
    return harness(builder(model, bundle, batch, chunk).build());
  }

  /**
   * A tagger (chunks of 256) that keeps its streams' state with {@code stateSerializer}, on {@code
   * backend}.
   */
  static KeyedOneInputStreamOperatorTestHarness<String, SegmentedEvent, TaggedEvent> create(
      Path model,
      int bundle,
      int batch,
      TypeSerializer<RecurrentState> stateSerializer,
      StateBackends backend)
      throws Exception {
    return backend.on(
        harness(builder(model, bundle, batch, 256).stateSerializer(stateSerializer).build()));
  }

  private static RecurrentTagger.Builder builder(Path model, int bundle, int batch, int chunk) {
    return RecurrentTagger.builder()
        .modelDir(model)
        .maxBundleTokens(bundle)
        .maxBatchSize(batch)
        .maxChunkTokens(chunk)
        .maxDelay(Duration.ofMillis(50));
  }

  private static KeyedOneInputStreamOperatorTestHarness<String, SegmentedEvent, TaggedEvent>
      harness(RecurrentTagger tagger) throws Exception {
    return new KeyedOneInputStreamOperatorTestHarness<>(tagger, e -> e.streamId, Types.STRING);
  }

  /**
   * Runs the mails waiting in the harness's task mailbox now (the tagger's continuation of long
   * events), not those they enqueue: one pass of the task's mailbox loop. Returns how many ran.
   */
  static int runMails(KeyedOneInputStreamOperatorTestHarness<String, SegmentedEvent, TaggedEvent> h)
      throws Exception {
    int waiting = h.getTaskMailbox().size();
    for (int i = 0; i < waiting; i++) {
      h.getTaskMailbox().tryTake(TaskMailbox.MIN_PRIORITY).orElseThrow().run();
    }
    return waiting;
  }

  static RecurrentTagger tagger(
      KeyedOneInputStreamOperatorTestHarness<String, SegmentedEvent, TaggedEvent> h) {
    return (RecurrentTagger) h.getOneInputOperator();
  }

  /** An event of {@code stream} carrying {@code tokens}, positions from {@code firstPosition}. */
  static SegmentedEvent event(
      String stream, long seq, long firstPosition, boolean fresh, List<String> tokens) {
    SegmentedToken[] toks = new SegmentedToken[tokens.size()];
    StringBuilder text = new StringBuilder();
    for (int i = 0; i < toks.length; i++) {
      if (i > 0) {
        text.append(' ');
      }
      int begin = text.length();
      text.append(tokens.get(i));
      toks[i] = new SegmentedToken(tokens.get(i), begin, text.length(), firstPosition + i, 0, null);
    }
    return new SegmentedEvent(
        stream, seq, 1000 * seq, text.toString(), false, fresh, false, null, 0, toks);
  }

  static List<TaggedEvent> outputs(
      KeyedOneInputStreamOperatorTestHarness<String, SegmentedEvent, TaggedEvent> h) {
    return new ArrayList<>(h.extractOutputValues());
  }
}
