package dev.rillet.jobs.pipeline;

import java.io.PrintStream;
import java.util.Locale;

/**
 * The console progress of a backfill: records read out of the estimated total, rate and time left.
 * On a terminal one line redrawn in place with a bar; otherwise a plain line at most every {@code
 * plainEveryMillis}, so logs stay readable.
 */
final class BackfillProgress {
  private static final int BAR = 30;

  private final PrintStream out;
  private final boolean terminal;
  private final long total;
  private final long startNanos;
  private final long plainEveryMillis;
  private long lastPlainMillis = Long.MIN_VALUE;
  private int lastWidth;

  BackfillProgress(PrintStream out, boolean terminal, long total, long plainEveryMillis) {
    this.out = out;
    this.terminal = terminal;
    this.total = total;
    this.plainEveryMillis = plainEveryMillis;
    this.startNanos = System.nanoTime();
  }

  /** Shows {@code read} records read and {@code written} outputs so far. */
  void update(long read, long written) {
    long elapsedMillis = (System.nanoTime() - startNanos) / 1_000_000;
    if (!terminal) {
      if (lastPlainMillis != Long.MIN_VALUE && elapsedMillis - lastPlainMillis < plainEveryMillis) {
        return;
      }
      lastPlainMillis = elapsedMillis;
      out.println("rillet backfill: " + line(read, written, elapsedMillis, false));
      return;
    }
    String text = line(read, written, elapsedMillis, true);
    StringBuilder s = new StringBuilder("\r").append(text);
    for (int i = text.length(); i < lastWidth; i++) {
      s.append(' ');
    }
    lastWidth = text.length();
    out.print(s);
    out.flush();
  }

  /** Ends the redrawn line so what follows starts on its own line. */
  void done() {
    if (terminal && lastWidth > 0) {
      out.println();
    }
  }

  /** One progress line; with a bar when {@code bar}. */
  String line(long read, long written, long elapsedMillis, boolean bar) {
    double fraction = total > 0 ? Math.min(1.0, (double) read / total) : (read > 0 ? 1.0 : 0.0);
    double rate = elapsedMillis > 0 ? read * 1000.0 / elapsedMillis : 0.0;
    StringBuilder s = new StringBuilder();
    if (bar) {
      int filled = (int) Math.round(fraction * BAR);
      s.append('[').append("#".repeat(filled)).append(".".repeat(BAR - filled)).append("] ");
    }
    s.append(String.format(Locale.ROOT, "%3.0f%% ", fraction * 100))
        .append(read)
        .append('/')
        .append(total)
        .append(" records, ")
        .append(String.format(Locale.ROOT, "%.0f/s", rate))
        .append(", ")
        .append(written)
        .append(" outputs, ");
    if (read >= total) {
      s.append("finishing");
    } else if (rate > 0) {
      s.append("ETA ").append(duration((long) ((total - read) / rate * 1000)));
    } else {
      s.append("starting");
    }
    return s.toString();
  }

  static String duration(long millis) {
    long seconds = Math.round(millis / 1000.0);
    if (seconds < 60) {
      return seconds + "s";
    }
    if (seconds < 3600) {
      return (seconds / 60) + "m" + String.format(Locale.ROOT, "%02d", seconds % 60) + "s";
    }
    return (seconds / 3600) + "h" + String.format(Locale.ROOT, "%02d", (seconds % 3600) / 60) + "m";
  }
}
