package dev.rillet.onnx;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.apache.flink.annotation.Internal;

/**
 * Unknown-word classes of a recurrent model package ({@code vocabulary.unknownClasses} in the
 * manifest): a token that is not in the vocabulary maps to the id of its class entry, such as
 * {@code <unk:cap:-ing>} for "Frobbing", instead of the single {@code <unk>} id. The class keeps
 * what the spelling says about the tag (capitalized, a number, an {@code -ly} ending) for words the
 * training text never had.
 *
 * <p>Scheme {@value #SCHEME}, computed on the raw token (before normalization):
 *
 * <ol>
 *   <li>{@code <unk:url>}: contains {@code "://"} or starts with {@code "www."} (ASCII case
 *       ignored);
 *   <li>{@code <unk:email>}: an {@code '@'} after at least one char, followed later by a {@code
 *       '.'};
 *   <li>no letter ({@link Character#isLetter(int)}): {@code <unk:num>} when it has a decimal digit
 *       ({@link Character#isDigit(int)}), else {@code <unk:punct>};
 *   <li>letters and digits: {@code <unk:alnum>};
 *   <li>otherwise a word: shape {@code upper} (two or more letters, all {@link
 *       Character#isUpperCase(int)}), {@code cap} (its first letter is upper case) or {@code
 *       lower}; {@code -hyphen} appended when it contains {@code '-'}; then {@code :-suffix} for
 *       the first of {@link #SUFFIXES} it ends with (A-Z compared as a-z) leaving at least two code
 *       points before it. Examples: {@code <unk:lower>}, {@code <unk:cap:-ing>}, {@code
 *       <unk:lower-hyphen:-ed>}.
 * </ol>
 *
 * <p>The Python recipe ({@code training/rillet_recurrent.py unknown_class}) implements the same
 * rules; {@code unknown-word-classes.tsv} in the test resources pins both. Stateless and
 * thread-safe; {@link #classify(CharSequence)} allocates nothing.
 */
@Internal
public final class UnknownWordClasses {
  /** The manifest name of this scheme. */
  public static final String SCHEME = "shape-suffix-1";

  /** Suffixes in match order (a longer one before any suffix of it). */
  static final String[] SUFFIXES = {
    "ing", "ed", "ly", "tion", "sion", "ness", "ment", "able", "ible", "less", "ful", "ous", "ive",
    "ize", "ise", "ism", "ist", "ity", "est", "er", "al", "ic", "ish", "an", "en", "y", "s"
  };

  private static final String[] SINGLES = {"url", "email", "punct", "num", "alnum"};
  private static final int URL = 0;
  private static final int EMAIL = 1;
  private static final int PUNCT = 2;
  private static final int NUM = 3;
  private static final int ALNUM = 4;
  private static final String[] SHAPES = {"lower", "cap", "upper"};
  private static final int LOWER = 0;
  private static final int CAP = 1;
  private static final int UPPER = 2;

  private static final List<String> NAMES = buildNames();

  private UnknownWordClasses() {}

  /**
   * The class names, indexed by what {@link #classify(CharSequence)} returns. A package's
   * vocabulary holds those its training text produced; the rest fall back to {@code <unk>}.
   */
  public static List<String> names() {
    return NAMES;
  }

  private static List<String> buildNames() {
    List<String> names = new ArrayList<>();
    for (String single : SINGLES) {
      names.add("<unk:" + single + ">");
    }
    for (String shape : SHAPES) {
      for (String hyphen : new String[] {"", "-hyphen"}) {
        names.add("<unk:" + shape + hyphen + ">");
        for (String suffix : SUFFIXES) {
          names.add("<unk:" + shape + hyphen + ":-" + suffix + ">");
        }
      }
    }
    return Collections.unmodifiableList(names);
  }

  /** The class index of a token (an index into {@link #names()}); the token must not be empty. */
  public static int classify(CharSequence token) {
    int n = token.length();
    if (isUrl(token)) {
      return URL;
    }
    if (isEmail(token)) {
      return EMAIL;
    }
    boolean letters = false;
    boolean digits = false;
    boolean hyphen = false;
    boolean allUpper = true;
    boolean firstLetterUpper = false;
    int letterCount = 0;
    int codePoints = 0;
    for (int i = 0; i < n; ) {
      int cp = Character.codePointAt(token, i);
      i += Character.charCount(cp);
      codePoints++;
      if (Character.isLetter(cp)) {
        boolean upper = Character.isUpperCase(cp);
        if (letterCount == 0) {
          firstLetterUpper = upper;
        }
        letters = true;
        letterCount++;
        allUpper &= upper;
      } else if (Character.isDigit(cp)) {
        digits = true;
      } else if (cp == '-') {
        hyphen = true;
      }
    }
    if (!letters) {
      return digits ? NUM : PUNCT;
    }
    if (digits) {
      return ALNUM;
    }
    int shape = allUpper && letterCount >= 2 ? UPPER : firstLetterUpper ? CAP : LOWER;
    int suffix = 0; // 0 = none, else 1 + index into SUFFIXES
    for (int s = 0; s < SUFFIXES.length; s++) {
      String sfx = SUFFIXES[s];
      // Suffixes are ASCII, so their chars are code points: the stem has codePoints - len.
      if (codePoints - sfx.length() >= 2 && endsWithIgnoringAsciiCase(token, sfx)) {
        suffix = s + 1;
        break;
      }
    }
    return SINGLES.length + (shape * 2 + (hyphen ? 1 : 0)) * (SUFFIXES.length + 1) + suffix;
  }

  private static boolean isUrl(CharSequence token) {
    int n = token.length();
    if (n >= 4 && regionMatchesIgnoringAsciiCase(token, 0, "www.")) {
      return true;
    }
    for (int i = 0; i + 3 <= n; i++) {
      if (token.charAt(i) == ':' && token.charAt(i + 1) == '/' && token.charAt(i + 2) == '/') {
        return true;
      }
    }
    return false;
  }

  private static boolean isEmail(CharSequence token) {
    int n = token.length();
    for (int i = 1; i < n; i++) {
      if (token.charAt(i) == '@') {
        for (int j = i + 1; j < n; j++) {
          if (token.charAt(j) == '.') {
            return true;
          }
        }
        return false;
      }
    }
    return false;
  }

  private static boolean endsWithIgnoringAsciiCase(CharSequence token, String suffix) {
    int start = token.length() - suffix.length();
    return start >= 0 && regionMatchesIgnoringAsciiCase(token, start, suffix);
  }

  private static boolean regionMatchesIgnoringAsciiCase(
      CharSequence token, int start, String lowerAscii) {
    for (int k = 0; k < lowerAscii.length(); k++) {
      char c = token.charAt(start + k);
      if (c >= 'A' && c <= 'Z') {
        c = (char) (c + ('a' - 'A'));
      }
      if (c != lowerAscii.charAt(k)) {
        return false;
      }
    }
    return true;
  }
}
