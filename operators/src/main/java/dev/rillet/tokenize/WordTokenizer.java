package dev.rillet.tokenize;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import org.apache.flink.annotation.PublicEvolving;

/**
 * Unicode-aware English word tokenizer that splits text the way the Universal Dependencies English
 * EWT treebank splits words.
 *
 * <ul>
 *   <li>Whitespace (any Unicode space, including no-break and zero-width spaces, control characters
 *       and bidirectional marks such as LRM and RLM) separates tokens and is never part of one.
 *   <li>Punctuation is split off words: {@code "Hi," -> "Hi" ","}. A run of the same mark is one
 *       token ({@code "..." "--" "''" ">>"}), as is a run of {@code !} and {@code ?} ({@code
 *       "?!"}).
 *   <li>English clitics are split: {@code don't -> do n't}, {@code I'm -> I 'm}, {@code we'll -> we
 *       'll}, {@code cannot -> can not}, {@code gonna -> gon na}; both {@code '} and {@code ’}. A
 *       clitic already written on its own, as in pre-tokenized text ({@code it 's}), stays one
 *       token.
 *   <li>Abbreviations keep their period: {@code Mr.}, {@code U.S.}, {@code e.g.}, initials {@code
 *       M.}; see {@link #isAbbreviation(CharSequence)}.
 *   <li>Numbers stay whole: {@code 3.5}, {@code 1,000}, {@code 5:00}, {@code 11/28/2000}, {@code
 *       713-853-3989}; URLs and e-mail addresses are one token.
 *   <li>Hyphenated words are split at the hyphen ({@code 15-year -> 15 - year}) except after common
 *       prefixes ({@code e-mail}, {@code non-human}, {@code re-read}), as EWT does.
 *   <li>Each CJK ideograph or kana is a token of its own (no dictionary segmentation); an emoji,
 *       with its modifiers and zero-width-joined parts, is one token.
 * </ul>
 *
 * <p>Offsets are UTF-16 indices into the original text; every token is exactly {@code
 * text.substring(begin, end)}. The tokenizer holds no mutable state, so one instance can be shared
 * by any number of threads; it compiles no regular expressions and {@link #tokenize(String,
 * TokenSink)} allocates nothing per token.
 */
@PublicEvolving
public final class WordTokenizer implements Serializable {
  private static final long serialVersionUID = 1L;

  /** Abbreviations (without their period) matched case-sensitively: titles, months, days, ... */
  private static final Set<String> CASED_ABBREVIATIONS =
      Set.of(
          "Mr", "Mrs", "Ms", "Dr", "Prof", "St", "Jr", "Sr", "Inc", "Ltd", "Co", "Corp", "Gen",
          "Gov", "Lt", "Col", "Capt", "Sgt", "Rev", "Sen", "Rep", "Reps", "Ft", "Mt", "Hon", "Pres",
          "Messrs", "No", "Jan", "Feb", "Mar", "Apr", "Jun", "Jul", "Aug", "Sep", "Sept", "Oct",
          "Nov", "Dec", "Mon", "Tue", "Tues", "Wed", "Thu", "Thur", "Thurs", "Fri", "Sat", "Sun",
          "Ave", "Blvd", "Rd", "Fig", "Dept", "Attn", "Sec", "Conf", "Spec", "Para", "Fax", "Tel",
          "Mob");

  /** Abbreviations (without their period) matched in any case. */
  private static final Set<String> ANY_CASE_ABBREVIATIONS =
      Set.of(
          "vs", "etc", "eg", "ie", "al", "cf", "approx", "dept", "ext", "esp", "mins", "hrs", "yrs",
          "lb", "lbs", "oz", "vol", "pp", "arrv", "attn", "corp", "inc", "ltd", "govt", "assn");

  /** Longest entry of the abbreviation sets; longer words are never looked up. */
  private static final int MAX_LISTED_ABBREVIATION = 6;

  /** Lower-case prefixes after which EWT keeps a hyphenated word whole. */
  private static final String[] HYPHEN_PREFIXES = {
    "e", "non", "pre", "anti", "mid", "re", "post", "co", "pro", "multi", "ex", "sub", "semi",
    "cross", "neo", "psycho", "socio", "counter", "intra", "inter", "micro", "macro", "vice",
    "self", "over", "under", "ultra", "mega", "mini", "bi", "tri", "de", "un"
  };

  /** Whole-chunk emoticons that EWT keeps as one token. */
  private static final Set<String> EMOTICONS =
      Set.of(
          ":)", ":-)", ":(", ":-(", ";)", ";-)", ":D", ":-D", ":P", ":-P", ":p", ":-p", ":/", ":-/",
          ":o", ":O", "=)", "=(", ":]", ":[", "<3", ";D", ":'(", "XD", "xD", ":|", ":-|");

  /** Characters split off before a URL or e-mail address. */
  private static final String URL_OPENERS = "([{<\"'“‘«";

  /** Characters split off after a URL or e-mail address. */
  private static final String URL_CLOSERS = ".,;:!?)]}>\"'”’»";

  /** Characters that may follow a word at the end of a chunk ({@code "Mr.)," -> Mr. ) ,}). */
  private static final String TRAILERS = ".,;:!?)]}>\"'”’»…";

  /** Tokenizes {@code text} into a new list. Convenient; allocates one {@link Token} per token. */
  public List<Token> tokenize(String text) {
    List<Token> out = new ArrayList<>();
    tokenize(text, (t, b, e) -> out.add(new Token(t.substring(b, e), b, e)));
    return out;
  }

  /**
   * Tokenizes {@code text}, handing each token to {@code sink} in text order. Allocates nothing per
   * token.
   */
  public void tokenize(String text, TokenSink sink) {
    int n = text.length();
    int i = 0;
    while (i < n) {
      int cp = text.codePointAt(i);
      if (isSpace(cp)) {
        i += Character.charCount(cp);
        continue;
      }
      int start = i;
      while (i < n) {
        cp = text.codePointAt(i);
        if (isSpace(cp)) {
          break;
        }
        i += Character.charCount(cp);
      }
      chunk(text, start, i, sink);
    }
  }

  /**
   * True when {@code token} is an abbreviation that keeps its final period, e.g. {@code "Mr."},
   * {@code "U.S."}, {@code "e.g."}, {@code "etc."} or an initial like {@code "M."}. Such a period
   * does not end a sentence by itself.
   */
  public boolean isAbbreviation(CharSequence token) {
    int n = token.length();
    if (n < 2 || token.charAt(n - 1) != '.') {
      return false;
    }
    String s = token.toString();
    return isAbbreviationCore(s, 0, n - 1);
  }

  // ---------------------------------------------------------------------------------------------

  /** Tokenizes one whitespace-free chunk [s, e). */
  private void chunk(String t, int s, int e, TokenSink sink) {
    if (isEmoticon(t, s, e)) {
      sink.token(t, s, e);
      return;
    }
    if (looksLikeUrlOrEmail(t, s, e)) {
      urlChunk(t, s, e, sink);
      return;
    }
    int k = e;
    while (k > s && TRAILERS.indexOf(t.charAt(k - 1)) >= 0) {
      k--;
    }
    boolean dotAttached = false;
    if (k < e && t.charAt(k) == '.' && (k + 1 == e || t.charAt(k + 1) != '.')) {
      int core = k;
      while (core > s && (isWordCharBefore(t, core) || t.charAt(core - 1) == '.')) {
        core = t.offsetByCodePoints(core, -1);
      }
      if (core < k && isAbbreviationCore(t, core, k)) {
        k++;
        dotAttached = true;
      }
    }
    scan(t, s, k, dotAttached, sink);
    scan(t, k, e, false, sink);
  }

  /** Splits [a, b) into word runs and punctuation runs. */
  private void scan(String t, int a, int b, boolean dotAttached, TokenSink sink) {
    int p = a;
    while (p < b) {
      int cp = t.codePointAt(p);
      if (isWordChar(cp) && !isCjk(cp)) {
        int q = wordEnd(t, p, b);
        if (dotAttached && q == b - 1 && t.charAt(q) == '.') {
          q = b;
        }
        emitWord(t, p, q, sink);
        p = q;
      } else if (cp == '#' && p + 1 < b && Character.isLetter(t.codePointAt(p + 1))) {
        // A hashtag is one token: #audiobooks
        int q = wordEnd(t, p + 1, b);
        sink.token(t, p, q);
        p = q;
      } else {
        // "it 's": a clitic already split off, as in pre-tokenized text, stays one token.
        int q = isApostrophe(cp) ? standaloneCliticEnd(t, p, b) : -1;
        if (q < 0) {
          q = punctEnd(t, p, b, cp);
        }
        sink.token(t, p, q);
        p = q;
      }
    }
  }

  /** End of the word run starting at {@code p}: letters, digits, marks and joining punctuation. */
  private static int wordEnd(String t, int p, int b) {
    int start = p;
    int segmentStart = p;
    p += Character.charCount(t.codePointAt(p));
    while (p < b) {
      int cp = t.codePointAt(p);
      if (isWordChar(cp) && !isCjk(cp)) {
        p += Character.charCount(cp);
        continue;
      }
      if (p + 1 >= b) {
        break;
      }
      char ch = t.charAt(p);
      int prev = t.codePointBefore(p);
      int next = t.codePointAt(p + 1);
      boolean join;
      switch (ch) {
        case '.':
          // U.S, 3.5, example.com
          join = isWordChar(next) && !isCjk(next);
          break;
        case ',':
          // 1,000 but not "1,2"
          join = Character.isDigit(prev) && threeDigits(t, p + 1, b);
          break;
        case '\'':
        case '’':
          // O'Brien, don't (the clitic is split off afterwards)
          join = Character.isLetter(prev) && Character.isLetter(next);
          break;
        case ':':
          // 5:00
          join = Character.isDigit(prev) && Character.isDigit(next);
          break;
        case '/':
          // 11/28/2000, and the one-letter shorthands b/c, w/o
          join =
              (Character.isDigit(prev) && Character.isDigit(next))
                  || (p - start == 1
                      && Character.isLetter(prev)
                      && Character.isLetter(next)
                      && (p + 2 >= b || !Character.isLetter(t.charAt(p + 2))));
          break;
        case '@':
          // user@HOST (addresses with a dot are caught earlier as e-mail)
          join = isWordChar(next) && !isCjk(next);
          break;
        case '&':
          // AT&T
          join = Character.isUpperCase(prev) && Character.isUpperCase(next);
          break;
        case '-':
          join =
              (Character.isDigit(prev) && Character.isDigit(next))
                  || (isWordChar(next) && !isCjk(next) && isHyphenPrefix(t, segmentStart, p));
          if (join) {
            segmentStart = p + 1;
          }
          break;
        default:
          join = false;
      }
      if (!join) {
        break;
      }
      p += 1 + Character.charCount(next);
    }
    return p;
  }

  /** True when [p, p+3) are digits and no digit follows (within b). */
  private static boolean threeDigits(String t, int p, int b) {
    if (p + 3 > b) {
      return false;
    }
    for (int i = p; i < p + 3; i++) {
      if (!isAsciiDigit(t.charAt(i))) {
        return false;
      }
    }
    return p + 3 == b || !isAsciiDigit(t.charAt(p + 3));
  }

  private static boolean isAsciiDigit(char c) {
    return c >= '0' && c <= '9';
  }

  private static boolean isHyphenPrefix(String t, int s, int e) {
    int len = e - s;
    for (String prefix : HYPHEN_PREFIXES) {
      if (prefix.length() == len && t.regionMatches(true, s, prefix, 0, len)) {
        return true;
      }
    }
    return false;
  }

  /** Emits word [w, q), splitting off an English clitic as EWT does. */
  private static void emitWord(String t, int w, int q, TokenSink sink) {
    int len = q - w;
    int split = -1;
    if (len == 6 && t.regionMatches(true, w, "cannot", 0, 6)) {
      split = w + 3;
    } else if (len == 5
        && (t.regionMatches(true, w, "gonna", 0, 5)
            || t.regionMatches(true, w, "wanna", 0, 5)
            || t.regionMatches(true, w, "gotta", 0, 5))) {
      split = w + 3;
    } else if (len > 3
        && isApostrophe(t.charAt(q - 2))
        && (t.charAt(q - 3) == 'n' || t.charAt(q - 3) == 'N')
        && (t.charAt(q - 1) == 't' || t.charAt(q - 1) == 'T')) {
      split = q - 3;
    } else if (len > 2 && isApostrophe(t.charAt(q - 2)) && "smdSMD".indexOf(t.charAt(q - 1)) >= 0) {
      split = q - 2;
    } else if (len > 3
        && isApostrophe(t.charAt(q - 3))
        && (t.regionMatches(true, q - 2, "ll", 0, 2)
            || t.regionMatches(true, q - 2, "re", 0, 2)
            || t.regionMatches(true, q - 2, "ve", 0, 2))) {
      split = q - 3;
    }
    if (split > w) {
      sink.token(t, w, split);
      sink.token(t, split, q);
    } else {
      sink.token(t, w, q);
    }
  }

  /**
   * End of a clitic written as a word of its own ({@code 's 'm 'd 'll 're 've}, any case, either
   * apostrophe) starting at the apostrophe {@code p}, or -1 when no such clitic starts there or a
   * word character follows it ({@code 'sup}, {@code '90s}).
   */
  private static int standaloneCliticEnd(String t, int p, int b) {
    int letters = 0;
    while (p + 1 + letters < b && letters < 3 && Character.isLetter(t.charAt(p + 1 + letters))) {
      letters++;
    }
    int end = p + 1 + letters;
    if (end < b && isWordChar(t.codePointAt(end))) {
      return -1;
    }
    boolean clitic =
        (letters == 1 && "smdSMD".indexOf(t.charAt(p + 1)) >= 0)
            || (letters == 2
                && (t.regionMatches(true, p + 1, "ll", 0, 2)
                    || t.regionMatches(true, p + 1, "re", 0, 2)
                    || t.regionMatches(true, p + 1, "ve", 0, 2)));
    return clitic ? end : -1;
  }

  private static boolean isApostrophe(int c) {
    return c == '\'' || c == '’';
  }

  /** End of the punctuation/symbol token starting at {@code p} (code point {@code cp}). */
  private static int punctEnd(String t, int p, int b, int cp) {
    int q = p + Character.charCount(cp);
    if (cp == '!' || cp == '?') {
      while (q < b && (t.charAt(q) == '!' || t.charAt(q) == '?')) {
        q++;
      }
      return q;
    }
    if (isCjk(cp)) {
      return q;
    }
    if (isEmojiBase(cp)) {
      return emojiEnd(t, q, b, cp);
    }
    if (cp == '(' || cp == ')' || cp == '[' || cp == ']' || cp == '{' || cp == '}') {
      return q;
    }
    // A run of the same mark is one token: "...", "--", "''", ">>", "***".
    while (q < b && t.codePointAt(q) == cp) {
      q += Character.charCount(cp);
    }
    return q;
  }

  private static boolean isEmojiBase(int cp) {
    int type = Character.getType(cp);
    return type == Character.OTHER_SYMBOL && cp >= 0x2000;
  }

  /** Extends an emoji at q: variation selectors, skin tones, keycaps, ZWJ sequences, flags. */
  private static int emojiEnd(String t, int q, int b, int base) {
    boolean regional = base >= 0x1F1E6 && base <= 0x1F1FF;
    if (regional && q < b) {
      int next = t.codePointAt(q);
      if (next >= 0x1F1E6 && next <= 0x1F1FF) {
        return q + Character.charCount(next);
      }
    }
    while (q < b) {
      int cp = t.codePointAt(q);
      if (cp == 0xFE0F
          || cp == 0xFE0E
          || cp == 0x20E3
          || (cp >= 0x1F3FB && cp <= 0x1F3FF)
          || (cp >= 0xE0020 && cp <= 0xE007F)
          || Character.getType(cp) == Character.NON_SPACING_MARK
          || Character.getType(cp) == Character.ENCLOSING_MARK) {
        q += Character.charCount(cp);
      } else if (cp == 0x200D && q + 1 < b) {
        int joined = t.codePointAt(q + 1);
        q += 1 + Character.charCount(joined);
      } else {
        break;
      }
    }
    return q;
  }

  /** A URL or e-mail address: opening punctuation, the address, closing punctuation. */
  private void urlChunk(String t, int s, int e, TokenSink sink) {
    int a = s;
    while (a < e && URL_OPENERS.indexOf(t.charAt(a)) >= 0) {
      sink.token(t, a, a + 1);
      a++;
    }
    int z = e;
    while (z > a && URL_CLOSERS.indexOf(t.charAt(z - 1)) >= 0) {
      z--;
    }
    // Keep a closing parenthesis that balances one inside the address (wiki/Foo_(bar)).
    int open = 0;
    for (int i = a; i < z; i++) {
      char c = t.charAt(i);
      if (c == '(') {
        open++;
      } else if (c == ')') {
        open--;
      }
    }
    while (open > 0 && z < e && t.charAt(z) == ')') {
      z++;
      open--;
    }
    if (z > a) {
      sink.token(t, a, z);
    }
    scan(t, z, e, false, sink);
  }

  private static boolean looksLikeUrlOrEmail(String t, int s, int e) {
    int scheme = t.indexOf("://", s);
    if (scheme > s && scheme + 3 < e) {
      return true;
    }
    int a = s;
    while (a < e && URL_OPENERS.indexOf(t.charAt(a)) >= 0) {
      a++;
    }
    if (e - a > 4 && t.regionMatches(true, a, "www.", 0, 4)) {
      return true;
    }
    int at = t.indexOf('@', a);
    if (at > a && at < e && isWordChar(t.codePointBefore(at))) {
      for (int i = at + 2; i < e - 1; i++) {
        if (t.charAt(i) == '.' && Character.isLetter(t.charAt(i + 1))) {
          return true;
        }
      }
    }
    return false;
  }

  private static boolean isEmoticon(String t, int s, int e) {
    int len = e - s;
    if (len < 2 || len > 3) {
      return false;
    }
    char first = t.charAt(s);
    if (first != ':'
        && first != ';'
        && first != '='
        && first != '<'
        && first != 'X'
        && first != 'x') {
      return false;
    }
    return EMOTICONS.contains(t.substring(s, e));
  }

  /** True when [s, e) followed by a period is an abbreviation (see {@link #isAbbreviation}). */
  private static boolean isAbbreviationCore(String t, int s, int e) {
    int len = e - s;
    if (len <= 0) {
      return false;
    }
    char first = t.charAt(s);
    if (len == 1) {
      // Initials (M.), but not the pronoun at a sentence end ("So do I.").
      return Character.isUpperCase(first) && first != 'I';
    }
    if (isDottedLetters(t, s, e)) {
      return true;
    }
    if (len > MAX_LISTED_ABBREVIATION) {
      return false;
    }
    String word = t.substring(s, e);
    return CASED_ABBREVIATIONS.contains(word)
        || ANY_CASE_ABBREVIATIONS.contains(word.toLowerCase(Locale.ROOT));
  }

  /** Letter groups of one or two letters joined by periods: U.S, e.g, Ph.D, a.k.a. */
  private static boolean isDottedLetters(String t, int s, int e) {
    int group = 0;
    int groups = 0;
    for (int i = s; i < e; i++) {
      char c = t.charAt(i);
      if (c == '.') {
        if (group == 0) {
          return false;
        }
        groups++;
        group = 0;
      } else if (Character.isLetter(c)) {
        if (++group > 2) {
          return false;
        }
      } else {
        return false;
      }
    }
    return group > 0 && groups >= 1;
  }

  private static boolean isWordCharBefore(String t, int i) {
    return isWordChar(t.codePointBefore(i));
  }

  /** Letters, digits, combining marks and the underscore. */
  private static boolean isWordChar(int cp) {
    if (Character.isLetterOrDigit(cp) || cp == '_') {
      return true;
    }
    int type = Character.getType(cp);
    return type == Character.NON_SPACING_MARK
        || type == Character.COMBINING_SPACING_MARK
        || type == Character.ENCLOSING_MARK;
  }

  /** Scripts written without spaces between words: each character becomes a token. */
  private static boolean isCjk(int cp) {
    if (cp < 0x2E80) {
      return false;
    }
    Character.UnicodeScript script = Character.UnicodeScript.of(cp);
    return script == Character.UnicodeScript.HAN
        || script == Character.UnicodeScript.HIRAGANA
        || script == Character.UnicodeScript.KATAKANA;
  }

  private static boolean isSpace(int cp) {
    return Character.isWhitespace(cp)
        || Character.isSpaceChar(cp)
        || Character.isISOControl(cp)
        || cp == 0x200B
        || cp == 0xFEFF
        || isBidiMark(cp);
  }

  /**
   * Invisible bidirectional formatting: LRM, RLM, the Arabic letter mark, embeddings, overrides and
   * isolates. They separate tokens, as zero-width spaces do, instead of becoming tokens of their
   * own.
   */
  private static boolean isBidiMark(int cp) {
    return cp == 0x200E
        || cp == 0x200F
        || cp == 0x061C
        || (cp >= 0x202A && cp <= 0x202E)
        || (cp >= 0x2066 && cp <= 0x2069);
  }
}
