package dev.rillet.segment;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rillet.segment.Sentences.Sentence;
import dev.rillet.tokenize.WordTokenizer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class SentenceSegmenterTest {
  private static final long GAP = 10_000;
  private static final long TTL = 60_000;

  private final SentenceSegmenter segmenter = segmenter(GAP, 50, TTL);
  private final SegmenterState state = new SegmenterState();
  private final Sentences sentences = new Sentences();
  private final List<SegmentedEvent> outputs = new ArrayList<>();

  private static SentenceSegmenter segmenter(long gap, int max, long ttl) {
    return new SentenceSegmenter(
        new WordTokenizer(), Duration.ofMillis(gap), max, Duration.ofMillis(ttl));
  }

  private SegmentedEvent event(long seq, long time, String text) {
    return event(seq, time, text, false);
  }

  private SegmentedEvent event(long seq, long time, String text, boolean eos) {
    SegmentedEvent out = segmenter.onEvent(state, "s", seq, time, text, eos);
    if (out != null) {
      outputs.add(out);
      sentences.accept(out);
    }
    return out;
  }

  private List<SegmentedEvent> time(long watermark) {
    List<SegmentedEvent> markers = new ArrayList<>();
    segmenter.onTime(state, "s", watermark, markers::add);
    markers.forEach(sentences::accept);
    outputs.addAll(markers);
    return markers;
  }

  private static Sentence s(long index, String tokens, SentenceEnd end) {
    return new Sentence(index, Arrays.asList(tokens.split(" ")), end);
  }

  @Test
  void terminalPunctuationEndsSentences() {
    SegmentedEvent out = event(1, 0, "Hello world. How are you? Fine!");
    assertThat(out.freshStream).isTrue();
    assertThat(out.tokens)
        .extracting(t -> t.position)
        .containsExactly(0L, 1L, 2L, 3L, 4L, 5L, 6L, 7L, 8L);
    assertThat(out.tokens)
        .extracting(t -> t.sentenceIndex)
        .containsExactly(0L, 0L, 0L, 1L, 1L, 1L, 1L, 2L, 2L);
    assertThat(sentences.closed())
        .containsExactly(
            s(0, "Hello world .", SentenceEnd.TERMINATOR),
            s(1, "How are you ?", SentenceEnd.TERMINATOR),
            s(2, "Fine !", SentenceEnd.TERMINATOR));
    assertThat(state.hasOpenSentence()).isFalse();
  }

  @Test
  void aSentenceSpansSeveralEvents() {
    SegmentedEvent first = event(1, 0, "The quick brown");
    SegmentedEvent second = event(2, 1000, "fox jumps. Then");
    assertThat(first.tokens).allSatisfy(t -> assertThat(t.sentenceEnd).isNull());
    assertThat(second.freshStream).isFalse();
    assertThat(second.tokens).extracting(t -> t.position).containsExactly(3L, 4L, 5L, 6L);
    assertThat(second.tokens[0].begin).isZero();
    assertThat(sentences.closed())
        .containsExactly(s(0, "The quick brown fox jumps .", SentenceEnd.TERMINATOR));
    assertThat(sentences.open()).containsExactly("Then");
  }

  @Test
  void abbreviationsDoNotEndSentences() {
    event(1, 0, "Mr. Smith moved to the U.S. in Jan. last year. He likes it, e.g. the food.");
    assertThat(sentences.closed())
        .containsExactly(
            s(0, "Mr. Smith moved to the U.S. in Jan. last year .", SentenceEnd.TERMINATOR),
            s(1, "He likes it , e.g. the food .", SentenceEnd.TERMINATOR));
  }

  @Test
  void closingQuotesAndBracketsStayInTheSentence() {
    event(1, 0, "He said \"stop.\" Then he left. (See below.) “Really?” she asked.");
    assertThat(sentences.closed())
        .containsExactly(
            s(0, "He said \" stop . \"", SentenceEnd.TERMINATOR),
            s(1, "Then he left .", SentenceEnd.TERMINATOR),
            s(2, "( See below . )", SentenceEnd.TERMINATOR),
            s(3, "“ Really ? ”", SentenceEnd.TERMINATOR),
            s(4, "she asked .", SentenceEnd.TERMINATOR));
  }

  @Test
  void ellipsisFollowedByLowerCaseContinues() {
    event(1, 0, "Well... maybe not. Wait... Now go :) Bye.");
    assertThat(sentences.closed())
        .containsExactly(
            s(0, "Well ... maybe not .", SentenceEnd.TERMINATOR),
            s(1, "Wait ...", SentenceEnd.TERMINATOR),
            s(2, "Now go :)", SentenceEnd.TERMINATOR),
            s(3, "Bye .", SentenceEnd.TERMINATOR));
  }

  @Test
  void endOfStreamClosesTheOpenSentenceOnItsLastToken() {
    event(1, 0, "No full stop");
    SegmentedEvent eos = event(2, 10, "at the end", true);
    assertThat(eos.endOfStream).isTrue();
    assertThat(eos.tokens[eos.tokens.length - 1].sentenceEnd).isEqualTo(SentenceEnd.END_OF_STREAM);
    assertThat(sentences.closed())
        .containsExactly(s(0, "No full stop at the end", SentenceEnd.END_OF_STREAM));
    assertThat(state.active).isFalse();

    SegmentedEvent next = event(1, 20, "Again.");
    assertThat(next.freshStream).isTrue();
    assertThat(next.tokens[0].position).isZero();
    assertThat(next.tokens[0].sentenceIndex).isZero();
  }

  @Test
  void emptyEndOfStreamEventClosesBeforeIt() {
    event(1, 0, "Open sentence");
    SegmentedEvent eos = event(2, 10, "", true);
    assertThat(eos.closedBefore).isEqualTo(SentenceEnd.END_OF_STREAM);
    assertThat(eos.closedSentenceIndex).isZero();
    assertThat(eos.tokens).isEmpty();
    assertThat(state.active).isFalse();
  }

  @Test
  void endOfStreamAfterATerminalClosesNothingMore() {
    SegmentedEvent eos = event(1, 0, "Done.", true);
    assertThat(eos.closedBefore).isNull();
    assertThat(eos.tokens[1].sentenceEnd).isEqualTo(SentenceEnd.TERMINATOR);
  }

  @Test
  void idleGapClosesBeforeTheNextEvent() {
    event(1, 0, "Hello there");
    SegmentedEvent late = event(2, GAP + 1, "New one.");
    assertThat(late.closedBefore).isEqualTo(SentenceEnd.IDLE_GAP);
    assertThat(late.closedSentenceIndex).isZero();
    // Closed at the idle deadline, the time a live timer would have closed it at.
    assertThat(late.closedAt).isEqualTo(GAP);
    assertThat(late.tokens[0].sentenceIndex).isEqualTo(1L);
    assertThat(sentences.closed())
        .containsExactly(
            s(0, "Hello there", SentenceEnd.IDLE_GAP), s(1, "New one .", SentenceEnd.TERMINATOR));
  }

  @Test
  void anEventExactlyAtTheGapDoesNotClose() {
    event(1, 0, "Hello");
    assertThat(event(2, GAP, "there").closedBefore).isNull();
  }

  @Test
  void watermarkPastTheGapEmitsACloseMarker() {
    event(1, 5, "Hello there");
    assertThat(segmenter.idleDeadline(state)).isEqualTo(5 + GAP);
    assertThat(time(5 + GAP - 1)).isEmpty();
    List<SegmentedEvent> markers = time(5 + GAP);
    SegmentedEvent expected =
        new SegmentedEvent(
            "s",
            SegmentedEvent.NO_SEQ,
            5 + GAP,
            "",
            false,
            false,
            false,
            SentenceEnd.IDLE_GAP,
            0,
            new SegmentedToken[0]);
    expected.closedAt = 5 + GAP;
    assertThat(markers).containsExactly(expected);
    assertThat(markers.get(0).isCloseMarker()).isTrue();
    assertThat(time(5 + GAP + 100)).isEmpty();
    SegmentedEvent next = event(2, 5 + GAP + 200, "More");
    assertThat(next.closedBefore).isNull();
    assertThat(next.tokens[0].sentenceIndex).isEqualTo(1L);
  }

  @Test
  void noOpenSentenceNoIdleMarker() {
    event(1, 0, "Complete.");
    assertThat(segmenter.idleDeadline(state)).isEqualTo(Long.MAX_VALUE);
    assertThat(time(GAP * 2)).isEmpty();
  }

  @Test
  void maximumLengthClosesLongSentences() {
    SentenceSegmenter short3 = segmenter(GAP, 3, TTL);
    SegmenterState st = new SegmenterState();
    Sentences got = new Sentences();
    got.accept(short3.onEvent(st, "s", 1, 0, "a b c d", false));
    got.accept(short3.onEvent(st, "s", 2, 1, "e f. g", false));
    assertThat(got.closed())
        .containsExactly(
            s(0, "a b c", SentenceEnd.MAX_LENGTH),
            s(1, "d e f", SentenceEnd.MAX_LENGTH),
            s(2, ".", SentenceEnd.TERMINATOR));
    assertThat(got.open()).containsExactly("g");
  }

  @Test
  void duplicatesAndOldEventsAreDropped() {
    event(5, 0, "one two");
    assertThat(event(5, 1, "one two")).isNull();
    assertThat(event(3, 2, "older")).isNull();
    assertThat(state.lastSeq).isEqualTo(5);
    assertThat(state.nextPosition).isEqualTo(2);
    SegmentedEvent next = event(6, 3, "three");
    assertThat(next.tokens[0].position).isEqualTo(2);
  }

  @Test
  void ttlTimerExpiresTheStream() {
    event(1, 0, "Open");
    List<SegmentedEvent> markers = time(TTL);
    // The idle gap (shorter than the TTL) closes the sentence first, then the stream expires.
    assertThat(markers).hasSize(2);
    assertThat(markers.get(0).closedBefore).isEqualTo(SentenceEnd.IDLE_GAP);
    assertThat(markers.get(0).eventTime).isEqualTo(GAP);
    assertThat(markers.get(0).closedAt).isEqualTo(GAP);
    assertThat(markers.get(1).expired).isTrue();
    assertThat(markers.get(1).closedBefore).isNull();
    assertThat(markers.get(1).eventTime).isEqualTo(TTL);
    assertThat(state.active).isFalse();

    SegmentedEvent next = event(2, TTL + 5, "Back");
    assertThat(next.freshStream).isTrue();
    assertThat(next.tokens[0].position).isZero();
    assertThat(next.tokens[0].sentenceIndex).isZero();
  }

  @Test
  void expiryClosesTheSentenceWhenTheGapIsNotShorter() {
    SentenceSegmenter noGap = segmenter(TTL, 50, TTL);
    SegmenterState st = new SegmenterState();
    noGap.onEvent(st, "s", 1, 0, "Open", false);
    List<SegmentedEvent> markers = new ArrayList<>();
    noGap.onTime(st, "s", TTL, markers::add);
    assertThat(markers).hasSize(1);
    assertThat(markers.get(0).expired).isTrue();
    assertThat(markers.get(0).closedBefore).isEqualTo(SentenceEnd.EXPIRED);

    SegmenterState viaEvent = new SegmenterState();
    noGap.onEvent(viaEvent, "s", 1, 0, "Open", false);
    SegmentedEvent next = noGap.onEvent(viaEvent, "s", 2, TTL + 1, "New", false);
    assertThat(next.closedBefore).isEqualTo(SentenceEnd.EXPIRED);
    assertThat(next.freshStream).isTrue();
  }

  @Test
  void eventAfterTheTtlStartsAFreshStream() {
    event(7, 0, "Open");
    SegmentedEvent next = event(2, TTL + 1, "Restart.");
    // The old state is gone, so even a lower seq is accepted, as after the expiry timer.
    assertThat(next).isNotNull();
    assertThat(next.freshStream).isTrue();
    assertThat(next.closedBefore).isEqualTo(SentenceEnd.IDLE_GAP);
    assertThat(next.tokens[0].position).isZero();
    assertThat(next.tokens[0].sentenceIndex).isZero();
    assertThat(state.lastSeq).isEqualTo(2);
  }

  /** Events of one stream: seq, time, text; gaps of several sizes, an EOS at the end. */
  private static final Object[][] STREAM = {
    {1L, 0L, "The meeting starts"},
    {2L, 2_000L, "at noon. Bring the"},
    {3L, 25_000L, "report please"},
    {4L, 26_000L, "and coffee. Mr. Lee"},
    {5L, 100_000L, "will join. He said \"ok.\""},
    {6L, 101_000L, "See you"},
    {7L, 115_000L, "soon"},
    {8L, 116_000L, "", Boolean.TRUE},
  };

  private static List<Sentence> run(Random random) {
    SentenceSegmenter seg = segmenter(GAP, 50, TTL);
    SegmenterState st = new SegmenterState();
    Sentences got = new Sentences();
    long watermark = Long.MIN_VALUE;
    for (Object[] e : STREAM) {
      long time = (Long) e[1];
      if (random != null && watermark < time - 1) {
        // Advance the watermark anywhere up to just before this event, possibly several times.
        int steps = random.nextInt(3);
        for (int i = 0; i < steps; i++) {
          long lo = Math.max(watermark, time - 150_000);
          watermark = lo + (long) (random.nextDouble() * (time - 1 - lo));
          seg.onTime(st, "s", watermark, got::accept);
        }
      }
      boolean eos = e.length > 3;
      got.accept(seg.onEvent(st, "s", (Long) e[0], time, (String) e[2], eos));
    }
    return got.closed();
  }

  @Test
  void sameSentencesWhateverTheWatermarkTiming() {
    List<Sentence> eventDriven = run(null);
    assertThat(eventDriven)
        .containsExactly(
            s(0, "The meeting starts at noon .", SentenceEnd.TERMINATOR),
            s(1, "Bring the", SentenceEnd.IDLE_GAP),
            s(2, "report please and coffee .", SentenceEnd.TERMINATOR),
            s(3, "Mr. Lee", SentenceEnd.IDLE_GAP),
            s(0, "will join .", SentenceEnd.TERMINATOR),
            s(1, "He said \" ok . \"", SentenceEnd.TERMINATOR),
            s(2, "See you", SentenceEnd.IDLE_GAP),
            s(3, "soon", SentenceEnd.END_OF_STREAM));
    for (int seed = 0; seed < 50; seed++) {
      assertThat(run(new Random(seed))).as("seed %d", seed).isEqualTo(eventDriven);
    }
  }
}
