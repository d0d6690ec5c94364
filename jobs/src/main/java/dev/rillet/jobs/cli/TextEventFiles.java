package dev.rillet.jobs.cli;

import dev.rillet.avro.TextEvent;
import dev.rillet.kafka.TextEventJson;
import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.avro.file.DataFileReader;
import org.apache.avro.specific.SpecificDatumReader;

/**
 * Reads a file of TextEvents given on the command line ({@code demo --input}, {@code produce
 * --input}, {@code backfill --input-file}): an Avro container file ({@code .avro}) or JSON lines
 * ({@link TextEventJson}). The whole file is read before anything is used, so a file with bad lines
 * fails with every bad line and its number, and nothing of it is produced or run.
 */
public final class TextEventFiles {
  private TextEventFiles() {}

  /**
   * The events of {@code file}, in file order.
   *
   * @param flag the option that named the file (e.g. {@code --input}), for error messages
   * @throws IllegalArgumentException if the file does not exist or has invalid lines (all listed)
   */
  public static List<TextEvent> read(Path file, String flag) throws IOException {
    if (!Files.isRegularFile(file)) {
      throw new IllegalArgumentException(
          flag + " " + file + ": no such file (JSON lines of TextEvent, or .avro)");
    }
    if (file.getFileName().toString().endsWith(".avro")) {
      List<TextEvent> events = new ArrayList<>();
      try (DataFileReader<TextEvent> reader =
          new DataFileReader<>(file.toFile(), new SpecificDatumReader<>(TextEvent.class))) {
        for (TextEvent e : reader) {
          events.add(e);
        }
      }
      return events;
    }
    try (BufferedReader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
      return TextEventJson.readAll(in);
    } catch (TextEventJson.BadLinesException e) {
      throw new IllegalArgumentException(flag + " " + file + ": " + e.getMessage(), e);
    }
  }
}
