package dev.rillet.tokenize;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class WordTokenizerTest {
  private final WordTokenizer tokenizer = new WordTokenizer();

  private List<String> words(String text) {
    List<Token> tokens = tokenizer.tokenize(text);
    for (Token t : tokens) {
      assertThat(text.substring(t.begin(), t.end())).isEqualTo(t.text());
    }
    return tokens.stream().map(Token::text).toList();
  }

  @Test
  void splitsEnglishClitics() {
    assertThat(words("I don't know")).containsExactly("I", "do", "n't", "know");
    assertThat(words("I'm here, you're there"))
        .containsExactly("I", "'m", "here", ",", "you", "'re", "there");
    assertThat(words("We'll see; she'd go; they've won; it's Bob's"))
        .containsExactly(
            "We", "'ll", "see", ";", "she", "'d", "go", ";", "they", "'ve", "won", ";", "it", "'s",
            "Bob", "'s");
    assertThat(words("I cannot, can't and won't"))
        .containsExactly("I", "can", "not", ",", "ca", "n't", "and", "wo", "n't");
    assertThat(words("gonna DON'T")).containsExactly("gon", "na", "DO", "N'T");
    assertThat(words("O'Brien")).containsExactly("O'Brien");
  }

  @Test
  void cliticsAlreadySplitOffStayWhole() {
    assertThat(words("it 's Bob 's , we 're sure they 'll , I 'm , she 'd , we 've"))
        .containsExactly(
            "it", "'s", "Bob", "'s", ",", "we", "'re", "sure", "they", "'ll", ",", "I", "'m", ",",
            "she", "'d", ",", "we", "'ve");
    assertThat(words("it ’S done 's.")).containsExactly("it", "’S", "done", "'s", ".");
    // Not clitics: a quote before a longer word, a year, a lone quote.
    assertThat(words("'sup '90s 'same' ' s"))
        .containsExactly("'", "sup", "'", "90s", "'", "same", "'", "'", "s");
  }

  @Test
  void bidiMarksSeparateTokensAndAreNeverTokens() {
    assertThat(words("\u200Fright\u200E to \u202Bleft\u202C \u2067x\u2069"))
        .containsExactly("right", "to", "left", "x");
    List<Token> tokens = tokenizer.tokenize("a\u200Fb");
    assertThat(tokens).extracting(Token::begin).containsExactly(0, 2);
  }

  @Test
  void curlyApostrophesAreCliticsToo() {
    assertThat(words("I don’t think it’s done"))
        .containsExactly("I", "do", "n’t", "think", "it", "’s", "done");
  }

  @Test
  void abbreviationsKeepTheirPeriod() {
    assertThat(words("Mr. Smith went to the U.S. on Jan. 5, e.g. by plane."))
        .containsExactly(
            "Mr.", "Smith", "went", "to", "the", "U.S.", "on", "Jan.", "5", ",", "e.g.", "by",
            "plane", ".");
    assertThat(words("Jennifer M. Anderson, etc."))
        .containsExactly("Jennifer", "M.", "Anderson", ",", "etc.");
    assertThat(words("So do I.")).containsExactly("So", "do", "I", ".");
    assertThat(words("(Dr.)")).containsExactly("(", "Dr.", ")");
    assertThat(tokenizer.isAbbreviation("Mr.")).isTrue();
    assertThat(tokenizer.isAbbreviation("U.S.")).isTrue();
    assertThat(tokenizer.isAbbreviation("etc.")).isTrue();
    assertThat(tokenizer.isAbbreviation("dog.")).isFalse();
    assertThat(tokenizer.isAbbreviation("Mr")).isFalse();
  }

  @Test
  void numbersStayWhole() {
    assertThat(words("It costs $3.50, about 1,000 or 1,000,000 at 5:30 on 11/28/2000."))
        .containsExactly(
            "It",
            "costs",
            "$",
            "3.50",
            ",",
            "about",
            "1,000",
            "or",
            "1,000,000",
            "at",
            "5:30",
            "on",
            "11/28/2000",
            ".");
    assertThat(words("Call 713-853-3989 now: 50%"))
        .containsExactly("Call", "713-853-3989", "now", ":", "50", "%");
    assertThat(words("1,2 and 3.")).containsExactly("1", ",", "2", "and", "3", ".");
  }

  @Test
  void urlsAndEmailsAreOneToken() {
    assertThat(words("See http://example.com/a?b=c&d=e, or (www.rillet.dev)."))
        .containsExactly(
            "See", "http://example.com/a?b=c&d=e", ",", "or", "(", "www.rillet.dev", ")", ".");
    assertThat(words("Mail kay.mann@enron.com."))
        .containsExactly("Mail", "kay.mann@enron.com", ".");
    assertThat(words("Read https://en.wikipedia.org/wiki/Foo_(bar) today"))
        .containsExactly("Read", "https://en.wikipedia.org/wiki/Foo_(bar)", "today");
  }

  @Test
  void punctuationRuns() {
    assertThat(words("Wait... what?! No -- never!!!"))
        .containsExactly("Wait", "...", "what", "?!", "No", "--", "never", "!!!");
    assertThat(words("\"Hello,\" she said."))
        .containsExactly("\"", "Hello", ",", "\"", "she", "said", ".");
    assertThat(words("nice :) really")).containsExactly("nice", ":)", "really");
  }

  @Test
  void hyphensSplitExceptAfterPrefixes() {
    assertThat(words("a 15-year term, well-known e-mail and non-human re-read"))
        .containsExactly(
            "a",
            "15",
            "-",
            "year",
            "term",
            ",",
            "well",
            "-",
            "known",
            "e-mail",
            "and",
            "non-human",
            "re-read");
  }

  @Test
  void unicodeText() {
    assertThat(words("Café naïve résumé — ok"))
        .containsExactly("Café", "naïve", "résumé", "—", "ok");
    // decomposed accent (e + combining acute) stays inside the word
    assertThat(words("cafe\u0301 time")).containsExactly("cafe\u0301", "time");
    assertThat(words("I love it 😀👍🏽!")).containsExactly("I", "love", "it", "😀", "👍🏽", "!");
    assertThat(words("family 👨‍👩‍👧 flag 🇫🇷"))
        .containsExactly("family", "👨‍👩‍👧", "flag", "🇫🇷");
    assertThat(words("東京に行く")).containsExactly("東", "京", "に", "行", "く");
    assertThat(words("“Quoted” text")).containsExactly("“", "Quoted", "”", "text");
    assertThat(words("Москва, 𝐁old")).containsExactly("Москва", ",", "𝐁old");
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "one two",
        "one\ttwo",
        "one\ntwo",
        "one\r\ntwo",
        "one\u00A0two",
        "one\u2003two",
        "one\u200Btwo",
        "  one   two  ",
        "one\u202Ftwo"
      })
  void whitespaceVariantsSeparateTokens(String text) {
    assertThat(words(text)).containsExactly("one", "two");
  }

  @Test
  void emptyAndBlankTextHaveNoTokens() {
    assertThat(words("")).isEmpty();
    assertThat(words(" \t\n ")).isEmpty();
  }

  @Test
  void offsetsPointIntoTheOriginalText() {
    String text = "  Don’t  panic,  Mr. 😀 Smith!";
    List<Token> tokens = tokenizer.tokenize(text);
    assertThat(tokens.get(0)).isEqualTo(new Token("Do", 2, 4));
    assertThat(tokens.get(1)).isEqualTo(new Token("n’t", 4, 7));
    for (Token t : tokens) {
      assertThat(text.substring(t.begin(), t.end())).isEqualTo(t.text());
    }
    Token emoji = tokens.stream().filter(t -> t.text().equals("😀")).findFirst().orElseThrow();
    assertThat(emoji.end() - emoji.begin()).isEqualTo(2);
  }

  @Test
  void sinkApiSeesTheSameTokens() {
    String text = "He said: \"I can't go.\" Then left...";
    List<Token> viaSink = new ArrayList<>();
    tokenizer.tokenize(text, (t, b, e) -> viaSink.add(new Token(t.substring(b, e), b, e)));
    assertThat(viaSink).isEqualTo(tokenizer.tokenize(text)).isNotEmpty();
  }

  @Test
  void survivesJavaSerialization() throws Exception {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
      out.writeObject(tokenizer);
    }
    try (ObjectInputStream in =
        new ObjectInputStream(new ByteArrayInputStream(bytes.toByteArray()))) {
      WordTokenizer copy = (WordTokenizer) in.readObject();
      assertThat(copy.tokenize("don't stop")).isEqualTo(tokenizer.tokenize("don't stop"));
    }
  }
}
