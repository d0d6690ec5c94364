package dev.rillet.elmo.conversion;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

class ElmoCharIdsTest {
  private final ElmoCharIds ids = new ElmoCharIds(50);

  private int[] row(String token) {
    int[] out = new int[50];
    Arrays.fill(out, -7); // every position must be written
    ids.token(token, out, 0);
    return out;
  }

  /** The row as AllenNLP builds it, from Java's own UTF-8 encoder (valid strings only). */
  private static int[] expected(String token) {
    byte[] bytes = token.getBytes(StandardCharsets.UTF_8);
    int n = Math.min(bytes.length, 48);
    int[] out = new int[50];
    Arrays.fill(out, 261);
    out[0] = 259;
    for (int i = 0; i < n; i++) {
      out[1 + i] = (bytes[i] & 0xFF) + 1;
    }
    out[1 + n] = 260;
    return out;
  }

  @Test
  void asciiTokenIsBowBytesEowPadAllPlusOne() {
    assertThat(row("Hi")).startsWith(259, 73, 106, 260, 261, 261);
    assertThat(row("Hi")).isEqualTo(expected("Hi"));
  }

  @Test
  void multiByteCharactersAreUtf8Bytes() {
    for (String t : List.of("café", "naïve", "東京", "😀ok", "Ωmega")) {
      assertThat(row(t)).as(t).isEqualTo(expected(t));
    }
    assertThat(row("é")).startsWith(259, 0xC3 + 1, 0xA9 + 1, 260);
  }

  @Test
  void longTokensAreTruncatedTo48BytesEvenInsideACharacter() {
    String ascii = "a".repeat(60);
    assertThat(row(ascii)).isEqualTo(expected(ascii));
    assertThat(row(ascii)[49]).isEqualTo(260);
    String cut = "a".repeat(47) + "é"; // the second byte of é falls off
    assertThat(row(cut)).isEqualTo(expected(cut));
    assertThat(row(cut)[48]).isEqualTo(0xC3 + 1);
    String emoji = "😀".repeat(13);
    assertThat(row(emoji)).isEqualTo(expected(emoji));
  }

  @Test
  void unpairedSurrogatesAreDropped() {
    assertThat(row("a\uD800b")).isEqualTo(expected("ab"));
  }

  @Test
  void sentenceHasMarkersThenZeroPadding() {
    int[] out = new int[5 * 50];
    Arrays.fill(out, -7);
    ids.sentence(List.of("a", "b"), 5, out, 0);
    assertThat(Arrays.copyOfRange(out, 0, 4)).containsExactly(259, 257, 260, 261);
    assertThat(Arrays.copyOfRange(out, 50, 100)).isEqualTo(expected("a"));
    assertThat(Arrays.copyOfRange(out, 100, 150)).isEqualTo(expected("b"));
    assertThat(Arrays.copyOfRange(out, 150, 154)).containsExactly(259, 258, 260, 261);
    assertThat(Arrays.copyOfRange(out, 200, 250)).containsOnly(0);
    assertThatThrownBy(() -> ids.sentence(List.of("a", "b", "c", "d"), 5, out, 0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("do not fit");
  }

  @Test
  void otherWidthsKeepTheSameLayout() {
    ElmoCharIds narrow = new ElmoCharIds(5);
    int[] out = new int[5];
    narrow.token("hello", out, 0);
    assertThat(out).containsExactly(259, 'h' + 1, 'e' + 1, 'l' + 1, 260);
    assertThatThrownBy(() -> new ElmoCharIds(2)).hasMessageContaining(">= 3");
  }
}
