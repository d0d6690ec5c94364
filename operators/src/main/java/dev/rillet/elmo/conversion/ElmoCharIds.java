package dev.rillet.elmo.conversion;

import java.util.List;
import org.apache.flink.annotation.Internal;

/**
 * Maps tokens to ELMo character ids exactly as AllenNLP's {@code ELMoCharacterMapper} and bilm-tf's
 * {@code UnicodeCharsVocabulary} do. A token becomes a row of {@code width} ids (50 in every
 * published model): its UTF-8 bytes, truncated to {@code width - 2}, between a begin-of-word and an
 * end-of-word marker, then padding; every id is offset by +1 so that 0 is free for absent tokens:
 *
 * <pre>
 *   token  "Hi"  ->  [BOW, 'H', 'i', EOW, PAD, PAD, ...] + 1  =  [259, 73, 106, 260, 261, 261, ...]
 *   &lt;S&gt;          ->  [BOW, 256, EOW, PAD, ...] + 1,   &lt;/S&gt; -> [BOW, 257, EOW, PAD, ...] + 1
 *   padding      ->  [0, 0, ...]
 * </pre>
 *
 * Unpaired UTF-16 surrogates are dropped (Python's {@code encode('utf-8', 'ignore')}). Nothing is
 * allocated per token; ASCII characters take a fast path. Immutable and thread-safe.
 */
@Internal
public final class ElmoCharIds {
  /** Raw (before +1) id of the begin-of-sentence character. */
  public static final int BOS_CHAR = 256;

  /** Raw id of the end-of-sentence character. */
  public static final int EOS_CHAR = 257;

  /** Raw id of the begin-of-word marker. */
  public static final int BOW_CHAR = 258;

  /** Raw id of the end-of-word marker. */
  public static final int EOW_CHAR = 259;

  /** Raw id of the padding character (after the end-of-word marker). */
  public static final int PAD_CHAR = 260;

  /** Width of a row in every published model. */
  public static final int DEFAULT_WIDTH = 50;

  private final int width;
  private final int maxBytes;

  /** A mapper writing rows of {@code width} ids ({@code max_characters_per_token}, >= 3). */
  public ElmoCharIds(int width) {
    if (width < 3) {
      throw new IllegalArgumentException("width must be >= 3 (BOW, a byte, EOW), got " + width);
    }
    this.width = width;
    this.maxBytes = width - 2;
  }

  /** The row width. */
  public int width() {
    return width;
  }

  /**
   * Writes the row of {@code token} into {@code out[offset .. offset + width)}.
   *
   * @return the number of UTF-8 bytes written (at most {@code width - 2})
   */
  public int token(CharSequence token, int[] out, int offset) {
    out[offset] = BOW_CHAR + 1;
    int n = 0;
    int len = token.length();
    for (int i = 0; i < len; i++) {
      char ch = token.charAt(i);
      if (ch < 0x80) {
        if (n == maxBytes) {
          break;
        }
        out[offset + 1 + n++] = ch + 1;
        continue;
      }
      int cp;
      if (Character.isHighSurrogate(ch)
          && i + 1 < len
          && Character.isLowSurrogate(token.charAt(i + 1))) {
        cp = Character.toCodePoint(ch, token.charAt(++i));
      } else if (Character.isSurrogate(ch)) {
        continue; // unpaired: dropped, as encode('utf-8', 'ignore') does
      } else {
        cp = ch;
      }
      // Bytes of one character may be cut by the truncation, as in the Python original.
      if (cp < 0x800) {
        n = put(out, offset, n, 0xC0 | (cp >>> 6));
        n = put(out, offset, n, 0x80 | (cp & 0x3F));
      } else if (cp < 0x10000) {
        n = put(out, offset, n, 0xE0 | (cp >>> 12));
        n = put(out, offset, n, 0x80 | ((cp >>> 6) & 0x3F));
        n = put(out, offset, n, 0x80 | (cp & 0x3F));
      } else {
        n = put(out, offset, n, 0xF0 | (cp >>> 18));
        n = put(out, offset, n, 0x80 | ((cp >>> 12) & 0x3F));
        n = put(out, offset, n, 0x80 | ((cp >>> 6) & 0x3F));
        n = put(out, offset, n, 0x80 | (cp & 0x3F));
      }
      if (n == maxBytes) {
        break;
      }
    }
    out[offset + 1 + n] = EOW_CHAR + 1;
    for (int k = offset + 2 + n; k < offset + width; k++) {
      out[k] = PAD_CHAR + 1;
    }
    return n;
  }

  private int put(int[] out, int offset, int n, int b) {
    if (n < maxBytes) {
      out[offset + 1 + n++] = b + 1;
    }
    return n;
  }

  /** Writes the {@code <S>} row. */
  public void sentenceStart(int[] out, int offset) {
    marker(BOS_CHAR, out, offset);
  }

  /** Writes the {@code </S>} row. */
  public void sentenceEnd(int[] out, int offset) {
    marker(EOS_CHAR, out, offset);
  }

  /** Writes a padding row (all zeros). */
  public void padding(int[] out, int offset) {
    java.util.Arrays.fill(out, offset, offset + width, 0);
  }

  private void marker(int id, int[] out, int offset) {
    out[offset] = BOW_CHAR + 1;
    out[offset + 1] = id + 1;
    out[offset + 2] = EOW_CHAR + 1;
    java.util.Arrays.fill(out, offset + 3, offset + width, PAD_CHAR + 1);
  }

  /**
   * Writes a whole sentence row of the model input: {@code <S>}, the tokens, {@code </S>}, then
   * padding rows up to {@code positions} rows ({@code positions * width} ids from {@code offset}).
   *
   * @throws IllegalArgumentException when {@code tokens.size() + 2 > positions}
   */
  public void sentence(List<? extends CharSequence> tokens, int positions, int[] out, int offset) {
    int n = tokens.size();
    if (n + 2 > positions) {
      throw new IllegalArgumentException(
          n + " tokens + 2 markers do not fit in " + positions + " positions");
    }
    sentenceStart(out, offset);
    for (int t = 0; t < n; t++) {
      token(tokens.get(t), out, offset + (t + 1) * width);
    }
    sentenceEnd(out, offset + (n + 1) * width);
    java.util.Arrays.fill(out, offset + (n + 2) * width, offset + positions * width, 0);
  }
}
