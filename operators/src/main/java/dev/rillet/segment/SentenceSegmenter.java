package dev.rillet.segment;

import dev.rillet.tokenize.WordTokenizer;
import java.io.Serializable;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.function.Consumer;
import org.apache.flink.annotation.Internal;

/**
 * Tokenizes a stream's events and finds its sentence ends; pure logic over a caller-held {@link
 * SegmenterState}, so the same events always give the same sentences, live or replayed.
 *
 * <p>A sentence ends:
 *
 * <ul>
 *   <li>after terminal punctuation ({@code . ! ? …} or a run of them), together with any closing
 *       quotes or brackets that follow it in the same event. Abbreviations keep their period inside
 *       the token ({@code Mr.}, {@code U.S.}), so they never end a sentence;
 *   <li>at the stream's end-of-stream event;
 *   <li>when the stream is idle for longer than the idle gap, in event time: either the next event
 *       comes more than the gap after the last one (that event carries {@code
 *       closedBefore=IDLE_GAP}), or the watermark reaches {@code lastEventTime + gap} first ({@link
 *       #onTime} emits a close marker);
 *   <li>when it reaches the maximum number of tokens.
 * </ul>
 *
 * <p>Both idle-gap paths close the same sentence after the same token, whatever the watermark
 * timing, provided events are not late (an event's time is above the watermark when it arrives).
 * The same holds for the TTL: a stream idle for longer than the TTL is released, by {@link #onTime}
 * (a close marker with {@code expired=true}) or, if its next event comes first, by that event
 * (which then carries {@code freshStream=true}). When the idle gap is shorter than the TTL an open
 * sentence is closed by the gap ({@code IDLE_GAP}) before expiry, on both paths; otherwise expiry
 * closes it ({@code EXPIRED}).
 *
 * <p>Stateless itself and serializable; not thread-safe only in the sense that a {@link
 * SegmenterState} must not be shared between threads.
 */
@Internal
public final class SentenceSegmenter implements Serializable {
  private static final long serialVersionUID = 1L;

  private static final SegmentedToken[] NO_TOKENS = new SegmentedToken[0];

  private final WordTokenizer tokenizer;
  private final long idleGapMillis;
  private final int maxSentenceTokens;
  private final long ttlMillis;

  /**
   * @param tokenizer splits event text into tokens
   * @param idleGap a sentence closes when its stream is idle for longer than this (event time)
   * @param maxSentenceTokens a sentence closes when it has this many tokens (at least 1)
   * @param ttl a stream idle for longer than this (event time) is released
   */
  public SentenceSegmenter(
      WordTokenizer tokenizer, Duration idleGap, int maxSentenceTokens, Duration ttl) {
    this.tokenizer = Objects.requireNonNull(tokenizer, "tokenizer");
    this.idleGapMillis = positiveMillis(idleGap, "idleGap");
    this.ttlMillis = positiveMillis(ttl, "ttl");
    if (maxSentenceTokens < 1) {
      throw new IllegalArgumentException("maxSentenceTokens must be >= 1: " + maxSentenceTokens);
    }
    this.maxSentenceTokens = maxSentenceTokens;
  }

  private static long positiveMillis(Duration d, String name) {
    Objects.requireNonNull(d, name);
    if (d.isNegative() || d.isZero()) {
      throw new IllegalArgumentException(name + " must be positive: " + d);
    }
    return d.toMillis();
  }

  /**
   * Segments one input event.
   *
   * @param state the stream's state, updated in place; inactive after end of stream
   * @return the event's tokens and closes, or {@code null} when the event is a duplicate or older
   *     than the last accepted one ({@code seq <= lastSeq}) and was dropped
   */
  public SegmentedEvent onEvent(
      SegmenterState state,
      String streamId,
      long seq,
      long eventTime,
      String text,
      boolean endOfStream) {
    SentenceEnd closedBefore = null;
    long closedSentenceIndex = 0L;
    long closedAt = 0L;
    if (state.active && eventTime - state.lastEventTime > ttlMillis) {
      // The expiry timer would have fired first had the watermark got there: do what it does.
      if (state.hasOpenSentence()) {
        closedBefore = idleGapMillis < ttlMillis ? SentenceEnd.IDLE_GAP : SentenceEnd.EXPIRED;
        closedSentenceIndex = state.sentenceIndex;
        closedAt = state.lastEventTime + Math.min(idleGapMillis, ttlMillis);
      }
      state.release();
    }
    if (state.active && seq <= state.lastSeq) {
      return null;
    }
    boolean fresh = !state.active;
    if (fresh) {
      state.release();
      state.active = true;
      state.lastEventTime = eventTime;
    } else if (state.hasOpenSentence() && eventTime - state.lastEventTime > idleGapMillis) {
      closedBefore = SentenceEnd.IDLE_GAP;
      closedAt = idleDeadline(state);
      closedSentenceIndex = closeSentence(state);
    }
    state.lastSeq = seq;
    state.lastEventTime = Math.max(state.lastEventTime, eventTime);

    SegmentedToken[] tokens = segment(state, text == null ? "" : text);
    if (endOfStream) {
      if (state.hasOpenSentence()) {
        if (tokens.length > 0) {
          tokens[tokens.length - 1].sentenceEnd = SentenceEnd.END_OF_STREAM;
        } else {
          closedBefore = SentenceEnd.END_OF_STREAM;
          closedSentenceIndex = state.sentenceIndex;
          closedAt = eventTime;
        }
      }
      state.release();
    }
    SegmentedEvent out =
        new SegmentedEvent(
            streamId,
            seq,
            eventTime,
            text,
            endOfStream,
            fresh,
            false,
            closedBefore,
            closedSentenceIndex,
            tokens);
    out.closedAt = closedAt;
    return out;
  }

  /**
   * Advances event time to {@code time} (a watermark; timers fire at {@link #idleDeadline} and
   * {@link #expiryDeadline}) and emits the close markers now due, in time order: an idle-gap close
   * of the open sentence, then the expiry of the stream. Does nothing when nothing is due, so stale
   * timers are harmless.
   */
  public void onTime(
      SegmenterState state, String streamId, long time, Consumer<SegmentedEvent> out) {
    if (!state.active) {
      return;
    }
    long idleAt = idleDeadline(state);
    if (idleAt <= time) {
      long index = closeSentence(state);
      out.accept(marker(streamId, idleAt, false, SentenceEnd.IDLE_GAP, index));
    }
    long expireAt = expiryDeadline(state);
    if (expireAt <= time) {
      SentenceEnd closed = state.hasOpenSentence() ? SentenceEnd.EXPIRED : null;
      long index = state.sentenceIndex;
      state.release();
      out.accept(marker(streamId, expireAt, true, closed, closed == null ? 0L : index));
    }
  }

  /**
   * Event time at which the open sentence closes for idleness, or {@link Long#MAX_VALUE} when no
   * sentence is open or expiry comes first.
   */
  public long idleDeadline(SegmenterState state) {
    if (!state.active || !state.hasOpenSentence() || idleGapMillis >= ttlMillis) {
      return Long.MAX_VALUE;
    }
    return state.lastEventTime + idleGapMillis;
  }

  /** Event time at which the stream expires, or {@link Long#MAX_VALUE} when it has no state. */
  public long expiryDeadline(SegmenterState state) {
    return state.active ? state.lastEventTime + ttlMillis : Long.MAX_VALUE;
  }

  /** The tokenizer this segmenter uses. */
  public WordTokenizer tokenizer() {
    return tokenizer;
  }

  private static SegmentedEvent marker(
      String streamId, long time, boolean expired, SentenceEnd closed, long index) {
    SegmentedEvent marker =
        new SegmentedEvent(
            streamId,
            SegmentedEvent.NO_SEQ,
            time,
            "",
            false,
            false,
            expired,
            closed,
            index,
            NO_TOKENS);
    marker.closedAt = time;
    return marker;
  }

  /** Closes the open sentence; returns its index. */
  private static long closeSentence(SegmenterState state) {
    long index = state.sentenceIndex;
    state.sentenceIndex++;
    state.openSentenceTokens = 0;
    return index;
  }

  /** Tokenizes {@code text}, numbers its tokens and marks sentence ends. */
  private SegmentedToken[] segment(SegmenterState state, String text) {
    List<SegmentedToken> tokens = new ArrayList<>();
    tokenizer.tokenize(
        text, (t, b, e) -> tokens.add(new SegmentedToken(t.substring(b, e), b, e, 0, 0, null)));
    if (tokens.isEmpty()) {
      return NO_TOKENS;
    }
    // Index of the token a terminal-punctuation end will fall after, once known; -1 when none.
    int pending = -1;
    // Whether the pending end is soft (ellipsis, emoticon): the next token may cancel it.
    boolean soft = false;
    int n = tokens.size();
    for (int i = 0; i < n; i++) {
      SegmentedToken tok = tokens.get(i);
      SegmentedToken previous = i > 0 ? tokens.get(i - 1) : null;
      int kind = terminalKind(tok.text);
      if (pending >= 0) {
        // Adjacent terminals ("?!" split oddly, ". . .") and emoticons stay with the sentence.
        boolean continues =
            (kind != NOT_TERMINAL && (tok.begin == previous.end || isEmoticon(tok.text)))
                || closesAfterTerminal(tok, previous);
        if (soft && !continues && continuesSentence(tok.text)) {
          pending = -1;
        } else if (!continues) {
          tokens.get(pending).sentenceEnd = SentenceEnd.TERMINATOR;
          closeSentence(state);
          pending = -1;
        }
      }
      tok.position = state.nextPosition++;
      tok.sentenceIndex = state.sentenceIndex;
      state.openSentenceTokens++;
      if (pending >= 0) {
        pending = i;
        soft &= kind != HARD_TERMINAL;
      } else if (kind != NOT_TERMINAL) {
        pending = i;
        soft = kind == SOFT_TERMINAL;
      } else if (endsDateTimeStamp(tokens, i)) {
        tok.sentenceEnd = SentenceEnd.TERMINATOR;
        closeSentence(state);
        continue;
      }
      if (state.openSentenceTokens >= maxSentenceTokens) {
        tok.sentenceEnd = pending == i ? SentenceEnd.TERMINATOR : SentenceEnd.MAX_LENGTH;
        closeSentence(state);
        pending = -1;
      }
    }
    if (pending >= 0) {
      tokens.get(pending).sentenceEnd = SentenceEnd.TERMINATOR;
      closeSentence(state);
    }
    return tokens.toArray(NO_TOKENS);
  }

  private static final int NOT_TERMINAL = 0;
  private static final int HARD_TERMINAL = 1;
  private static final int SOFT_TERMINAL = 2;

  private static final String TERMINALS = ".!?…‼⁇⁈⁉。！？";

  /**
   * Terminal punctuation: a token made only of sentence-final marks ({@code . ! ? …}). An ellipsis
   * ({@code ..}, {@code ...}, {@code …}) or an emoticon ({@code :)}) is a soft terminal: web text
   * uses them inside sentences too, so the end is cancelled when the next token continues the
   * sentence (see {@link #continuesSentence}).
   */
  static int terminalKind(String token) {
    int n = token.length();
    if (n == 0) {
      return NOT_TERMINAL;
    }
    boolean onlyDots = true;
    for (int i = 0; i < n; i++) {
      char c = token.charAt(i);
      if (TERMINALS.indexOf(c) < 0) {
        return isEmoticon(token) ? SOFT_TERMINAL : NOT_TERMINAL;
      }
      onlyDots &= c == '.' || c == '…';
    }
    return onlyDots && (n > 1 || token.charAt(0) == '…') ? SOFT_TERMINAL : HARD_TERMINAL;
  }

  private static boolean isEmoticon(String token) {
    int n = token.length();
    if (n < 2 || n > 3 || (token.charAt(0) != ':' && token.charAt(0) != ';')) {
      return false;
    }
    char last = token.charAt(n - 1);
    return last == ')' || last == '(' || last == 'D' || last == 'P';
  }

  /** True when a token after a soft terminal shows the sentence goes on: "wait... and then". */
  private static boolean continuesSentence(String token) {
    int cp = token.codePointAt(0);
    return Character.isLowerCase(cp) || cp == ',' || cp == ';' || cp == ':' || cp == '@';
  }

  /**
   * True when token {@code i} ends an e-mail header's date-time stamp, {@code 08/08/2000 11:36 AM}:
   * such a line has no punctuation, but the next line starts a new sentence.
   */
  private static boolean endsDateTimeStamp(List<SegmentedToken> tokens, int i) {
    if (i < 2) {
      return false;
    }
    String ampm = tokens.get(i).text;
    if (!ampm.equals("AM") && !ampm.equals("PM")) {
      return false;
    }
    String time = tokens.get(i - 1).text;
    String date = tokens.get(i - 2).text;
    return time.indexOf(':') > 0
        && Character.isDigit(time.charAt(0))
        && date.indexOf('/') > 0
        && Character.isDigit(date.charAt(0))
        && Character.isDigit(date.charAt(date.length() - 1));
  }

  /**
   * True when {@code tok}, right after terminal punctuation, still belongs to that sentence: a
   * closing quote or bracket. Straight quotes are ambiguous (they also open), so they count only
   * when they touch the previous token.
   */
  private static boolean closesAfterTerminal(SegmentedToken tok, SegmentedToken previous) {
    String s = tok.text;
    if (s.isEmpty() || !allOf(s, s.charAt(0))) {
      return false;
    }
    char c = s.charAt(0);
    switch (c) {
      case ')':
      case ']':
      case '}':
      case '”':
      case '’':
      case '»':
        return true;
      case '"':
      case '\'':
        return tok.begin == previous.end;
      default:
        return false;
    }
  }

  private static boolean allOf(String s, char c) {
    for (int i = 0; i < s.length(); i++) {
      if (s.charAt(i) != c) {
        return false;
      }
    }
    return true;
  }
}
