package dev.rillet.jobs.cli;

import java.io.PrintStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.description.Description;
import org.apache.flink.configuration.description.Formatter;
import org.apache.flink.configuration.description.TextElement;
import org.apache.flink.util.TimeUtils;

/**
 * Parses {@code --key value}, {@code --key=value} and bare boolean {@code --flag} arguments into a
 * Flink {@link Configuration}, against a fixed list of typed {@link ConfigOption}s whose keys are
 * the flag names. Every value is converted (and so checked) at parse time: a bad flag fails before
 * anything starts, with a message that names the flag, the value and what is expected.
 */
public final class CommandLine {
  /** Starts the line of {@code --help} that says an option's default. */
  private static final String DEFAULT_LINE = "default: ";

  /**
   * The options declared with {@link #atLeastOne}, by identity: counts and sizes that {@link
   * #parse} refuses below 1, so that such a value fails with the flag's name before a command makes
   * anything (a state directory, a job).
   */
  private static final Set<ConfigOption<?>> AT_LEAST_ONE =
      Collections.synchronizedSet(Collections.newSetFromMap(new IdentityHashMap<>()));

  private final String command;
  private final String summary;
  private final List<ConfigOption<?>> options;

  public CommandLine(String command, String summary, List<ConfigOption<?>> options) {
    this.command = command;
    this.summary = summary;
    this.options = List.copyOf(options);
  }

  /** Thrown for a bad command line; the message is meant for the user as it is. */
  public static final class UsageException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public UsageException(String message) {
      super(message);
    }
  }

  /** True when the arguments ask for help. */
  public static boolean wantsHelp(String[] args) {
    for (String a : args) {
      if (a.equals("--help") || a.equals("-h")) {
        return true;
      }
    }
    return false;
  }

  /**
   * Declares {@code option} a count or size: {@link #parse} refuses a value below 1 and {@code
   * --help} shows its type as {@code integer >= 1}. Wrap the option where it is declared.
   *
   * @return {@code option}
   */
  public static ConfigOption<Integer> atLeastOne(ConfigOption<Integer> option) {
    AT_LEAST_ONE.add(option);
    return option;
  }

  public Configuration parse(String[] args) {
    Map<String, ConfigOption<?>> byKey = new LinkedHashMap<>();
    for (ConfigOption<?> o : options) {
      byKey.put(o.key(), o);
    }
    Map<String, String> raw = new HashMap<>();
    for (int i = 0; i < args.length; i++) {
      String a = args[i];
      if (!a.startsWith("--") || a.length() == 2) {
        throw new UsageException(
            "unexpected argument '"
                + a
                + "': options look like --name value (see "
                + command
                + " --help)");
      }
      String key = a.substring(2);
      String value = null;
      int eq = key.indexOf('=');
      if (eq >= 0) {
        value = key.substring(eq + 1);
        key = key.substring(0, eq);
      }
      ConfigOption<?> option = byKey.get(key);
      if (option == null) {
        throw new UsageException(
            "unknown option --"
                + key
                + " for '"
                + command
                + "'; valid options: "
                + String.join(", ", byKey.keySet().stream().map(k -> "--" + k).toList()));
      }
      if (value == null) {
        boolean isBoolean = option.hasDefaultValue() && option.defaultValue() instanceof Boolean;
        boolean nextIsValue = i + 1 < args.length && !args[i + 1].startsWith("--");
        if (isBoolean && !(nextIsValue && isBooleanLiteral(args[i + 1]))) {
          value = "true";
        } else if (nextIsValue) {
          value = args[++i];
        } else {
          throw new UsageException(
              "option --" + key + " needs a value (" + describeType(option) + ")");
        }
      }
      if (raw.put(key, value) != null) {
        throw new UsageException("option --" + key + " is given twice");
      }
    }
    Configuration conf = Configuration.fromMap(raw);
    for (ConfigOption<?> o : options) {
      if (raw.containsKey(o.key())) {
        Object value;
        try {
          value = conf.get(o);
        } catch (RuntimeException e) {
          throw new UsageException(
              "option --"
                  + o.key()
                  + ": cannot use '"
                  + raw.get(o.key())
                  + "': expected "
                  + describeType(o)
                  + (e.getMessage() == null ? "" : " (" + e.getMessage() + ")"));
        }
        if (AT_LEAST_ONE.contains(o) && ((Integer) value) < 1) {
          throw new UsageException(
              "option --"
                  + o.key()
                  + ": cannot use '"
                  + raw.get(o.key())
                  + "': expected "
                  + describeType(o));
        }
      }
    }
    return conf;
  }

  private static boolean isBooleanLiteral(String s) {
    return s.equalsIgnoreCase("true") || s.equalsIgnoreCase("false");
  }

  /**
   * The description of an option whose default is not a value of its {@link ConfigOption} (which
   * then has none) but is decided later, where the job runs: {@code --help} prints {@code
   * defaultText} as the option's default, e.g. {@code default: 64 on CPU, 256 on CUDA}.
   */
  public static Description describedWithDefault(String description, String defaultText) {
    return Description.builder()
        .text(description)
        .linebreak()
        .text(DEFAULT_LINE + defaultText)
        .build();
  }

  /** Prints the usage: summary, then every option with its description and default. */
  public void printHelp(PrintStream out) {
    out.println("Usage: rillet " + command + " [options]");
    out.println();
    out.println(summary);
    out.println();
    out.println("Options:");
    for (ConfigOption<?> o : options) {
      out.println("  --" + o.key() + " <" + describeType(o) + ">");
      String description = new PlainText().format(o.description());
      for (String line : wrap(description, 74)) {
        out.println("      " + line);
      }
      if (o.hasDefaultValue()) {
        out.println("      " + DEFAULT_LINE + renderDefault(o.defaultValue()));
      } else if (!description.contains("\n" + DEFAULT_LINE)) {
        // Without describedWithDefault's line: the option is simply unset by default.
        out.println("      " + DEFAULT_LINE + "(none)");
      }
    }
    out.println("  --help");
    out.println("      Print this help and exit.");
  }

  private static String renderDefault(Object v) {
    if (v instanceof Duration) {
      return TimeUtils.formatWithHighestUnit((Duration) v);
    }
    return String.valueOf(v);
  }

  static String describeType(ConfigOption<?> o) {
    Object d = o.hasDefaultValue() ? o.defaultValue() : sample(o);
    if (d instanceof Boolean) {
      return "true|false";
    }
    if (d instanceof Integer || d instanceof Long) {
      return AT_LEAST_ONE.contains(o) ? "integer >= 1" : "integer";
    }
    if (d instanceof Duration) {
      return "duration, e.g. 500ms, 5s, 2min";
    }
    if (d instanceof Enum) {
      return String.join(
          "|",
          List.of(((Enum<?>) d).getDeclaringClass().getEnumConstants()).stream()
              .map(Object::toString)
              .toList());
    }
    return "text";
  }

  /**
   * What the value {@code 1} reads as for an option without a default, to show its type: 1 for an
   * integer option, "1" for a text one, 1 ms for a duration; null where 1 is no value of it (a
   * boolean or enum option). Flink keeps an option's type to itself.
   */
  private static Object sample(ConfigOption<?> o) {
    try {
      return Configuration.fromMap(Map.of(o.key(), "1")).get(o);
    } catch (RuntimeException e) {
      return null;
    }
  }

  private static List<String> wrap(String text, int width) {
    List<String> lines = new ArrayList<>();
    for (String paragraph : text.split("\n")) {
      StringBuilder line = new StringBuilder();
      for (String word : paragraph.split(" ")) {
        if (line.length() > 0 && line.length() + 1 + word.length() > width) {
          lines.add(line.toString());
          line.setLength(0);
        }
        if (line.length() > 0) {
          line.append(' ');
        }
        line.append(word);
      }
      lines.add(line.toString());
    }
    return lines;
  }

  /** Renders a Flink option description as plain text for the terminal. */
  private static final class PlainText extends Formatter {
    @Override
    protected void formatLink(StringBuilder state, String link, String description) {
      state.append(description).append(" (").append(link).append(')');
    }

    @Override
    protected void formatLineBreak(StringBuilder state) {
      state.append('\n');
    }

    @Override
    protected void formatText(
        StringBuilder state,
        String format,
        String[] elements,
        EnumSet<TextElement.TextStyle> styles) {
      state.append(String.format(format, (Object[]) elements));
    }

    @Override
    protected void formatList(StringBuilder state, String[] entries) {
      for (String e : entries) {
        state.append("\n- ").append(e);
      }
    }

    @Override
    protected Formatter newInstance() {
      return new PlainText();
    }
  }
}
