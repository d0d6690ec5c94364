package dev.rillet.jobs.tools;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TokenizeCommandTest {
  @TempDir Path dir;

  private String tokenize(String content, TokenizeCommand.Format format) throws IOException {
    Path file = dir.resolve("in.txt");
    Files.writeString(file, content, StandardCharsets.UTF_8);
    StringWriter out = new StringWriter();
    TokenizeCommand.write(file, format, out);
    return out.toString();
  }

  @Test
  void textLinesBecomeSpaceSeparatedTokensLineForLine() throws IOException {
    assertThat(
            tokenize(
                "Don't stop, Mr. Smith!\n\nIt's a sci-fi film (sort of).\n",
                TokenizeCommand.Format.TEXT))
        .isEqualTo("Do n't stop , Mr. Smith !\n\nIt 's a sci - fi film ( sort of ) .\n");
  }

  @Test
  void sstLinesKeepTheirLabelAndAreReadAsEvalReadsThem() throws IOException {
    assertThat(
            tokenize(
                "1 it 's a sci-fi film -lrb- sort of -rrb- .\n\n0 `` dull '' , they 're right .\n",
                TokenizeCommand.Format.SST))
        .isEqualTo("1 it 's a sci - fi film ( sort of ) .\n0 \" dull \" , they 're right .\n");
  }
}
