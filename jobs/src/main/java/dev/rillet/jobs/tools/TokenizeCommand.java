package dev.rillet.jobs.tools;

import dev.rillet.jobs.cli.Command;
import dev.rillet.jobs.cli.CommandContext;
import dev.rillet.jobs.eval.Sst;
import dev.rillet.jobs.eval.SstSentence;
import dev.rillet.tokenize.TokenSink;
import dev.rillet.tokenize.WordTokenizer;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.configuration.ConfigOptions;
import org.apache.flink.configuration.Configuration;

/**
 * {@code rillet tokenize}: prints the tokens the live job's tokenizer makes of each line of a file,
 * separated by single spaces, one output line per input line.
 *
 * <p>The training recipes read SST through it ({@code --format sst}), so the real-time model and
 * the ELMo heads learn from exactly the tokens {@code rillet eval} and the live job give them.
 */
public final class TokenizeCommand implements Command {
  /** How input lines are read. */
  public enum Format {
    /** Each line is plain text; blank lines give blank lines. */
    TEXT,
    /**
     * Each line is an SST sentence {@code <label> <sentence>} read as {@code rillet eval} reads it
     * (PTB brackets and quotes restored); the output keeps the label first. Blank lines are
     * skipped.
     */
    SST
  }

  static final ConfigOption<String> INPUT =
      ConfigOptions.key("input")
          .stringType()
          .noDefaultValue()
          .withDescription("File to tokenize (UTF-8).");

  static final ConfigOption<Format> FORMAT =
      ConfigOptions.key("format")
          .enumType(Format.class)
          .defaultValue(Format.TEXT)
          .withDescription(
              "text: each line is plain text; sst: each line is '<label> <sentence>' as in SST's"
                  + " stsa.* files, read as rillet eval reads them, and the label is kept.");

  @Override
  public String name() {
    return "tokenize";
  }

  @Override
  public String summary() {
    return "Print the live tokenizer's tokens of each line of a file (text or SST).";
  }

  @Override
  public List<ConfigOption<?>> options() {
    return List.of(INPUT, FORMAT);
  }

  @Override
  public int run(CommandContext context, Configuration conf) throws Exception {
    Path input = Path.of(ToolOptions.required(conf, INPUT));
    if (!Files.isRegularFile(input)) {
      throw new IllegalArgumentException("--input " + input + ": no such file");
    }
    Writer out = new BufferedWriter(new OutputStreamWriter(context.out(), StandardCharsets.UTF_8));
    write(input, conf.get(FORMAT), out);
    out.flush();
    return 0;
  }

  /** Writes the tokenized lines of {@code input} to {@code out}, each ending in a newline. */
  static void write(Path input, Format format, Writer out) throws IOException {
    SpaceJoined line = new SpaceJoined(new WordTokenizer());
    if (format == Format.SST) {
      for (SstSentence s : Sst.read(input, "sst")) {
        out.append(line.of(Integer.toString(s.label()), s.text())).append('\n');
      }
    } else {
      for (String text : Files.readAllLines(input, StandardCharsets.UTF_8)) {
        out.append(line.of("", text)).append('\n');
      }
    }
  }

  /** One reused line: a prefix, then each token of a text, separated by single spaces. */
  private static final class SpaceJoined implements TokenSink {
    private final WordTokenizer tokenizer;
    private final StringBuilder line = new StringBuilder();

    SpaceJoined(WordTokenizer tokenizer) {
      this.tokenizer = tokenizer;
    }

    /** {@code prefix} and the tokens of {@code text}; valid until the next call. */
    CharSequence of(String prefix, String text) {
      line.setLength(0);
      line.append(prefix);
      tokenizer.tokenize(text, this);
      return line;
    }

    @Override
    public void token(String text, int begin, int end) {
      if (line.length() > 0) {
        line.append(' ');
      }
      line.append(text, begin, end);
    }
  }
}
