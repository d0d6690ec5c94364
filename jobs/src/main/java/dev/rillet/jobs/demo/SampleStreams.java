package dev.rillet.jobs.demo;

import dev.rillet.avro.TextEvent;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The demo's shipped sample text ({@code demo/sample-streams.txt}) cut into events: each stream's
 * text is split at whitespace into chunks of 3 to 9 words (so sentences span events and events hold
 * parts of several sentences), and the streams are interleaved round robin. Deterministic.
 */
public final class SampleStreams {
  private SampleStreams() {}

  public static List<TextEvent> load(long startMillis, long millisBetweenEvents)
      throws IOException {
    Map<String, String> texts = new LinkedHashMap<>();
    try (InputStream in = SampleStreams.class.getResourceAsStream("/demo/sample-streams.txt")) {
      if (in == null) {
        throw new IOException("demo/sample-streams.txt missing from the jar");
      }
      String current = null;
      for (String line : new String(in.readAllBytes(), StandardCharsets.UTF_8).split("\n")) {
        if (line.startsWith("#") || line.isBlank()) {
          continue;
        }
        if (line.startsWith("== ")) {
          current = line.substring(3).trim();
          texts.put(current, "");
        } else if (current != null) {
          texts.merge(current, line.trim(), (a, b) -> a.isEmpty() ? b : a + " " + b);
        }
      }
    }
    List<List<String>> chunks = new ArrayList<>();
    int stream = 0;
    for (String text : texts.values()) {
      String[] words = text.split("\\s+");
      List<String> parts = new ArrayList<>();
      int i = 0;
      int k = stream;
      while (i < words.length) {
        int n = Math.min(words.length - i, 3 + (k++ * 5 + 2) % 7);
        parts.add(String.join(" ", java.util.Arrays.asList(words).subList(i, i + n)));
        i += n;
      }
      chunks.add(parts);
      stream++;
    }
    List<String> ids = new ArrayList<>(texts.keySet());
    List<TextEvent> events = new ArrayList<>();
    long time = startMillis;
    for (int round = 0; ; round++) {
      boolean any = false;
      for (int s = 0; s < ids.size(); s++) {
        List<String> parts = chunks.get(s);
        if (round < parts.size()) {
          any = true;
          events.add(
              TextEvent.newBuilder()
                  .setStreamId(ids.get(s))
                  .setSeq(round)
                  .setEventTime(time)
                  .setText(parts.get(round))
                  .setEndOfStream(round == parts.size() - 1)
                  .setAttributes(Map.of("source", "rillet-demo"))
                  .build());
          time += millisBetweenEvents;
        }
      }
      if (!any) {
        return events;
      }
    }
  }
}
