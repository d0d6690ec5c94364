package dev.rillet.testutils;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Function;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericRecord;

/**
 * Compares one output topic of a run against a reference run of the same input: per stream, the
 * same records in the same order, floats within a tolerance (batch composition moves the last
 * bits), everything else equal. Counts what was lost, duplicated or different, for the tests'
 * report and assertions.
 */
public final class OutputComparison {
  public static final double TOLERANCE = 1e-5;

  /** The outcome for one topic. */
  public record Result(
      String topic, int compared, int lost, int duplicated, int differing, List<String> examples) {
    public boolean equal() {
      return lost == 0 && duplicated == 0 && differing == 0;
    }

    @Override
    public String toString() {
      return String.format(
              "%-22s compared %5d  lost %d  duplicated %d  differing %d",
              topic, compared, lost, duplicated, differing)
          + (examples.isEmpty()
              ? ""
              : "\n  first differences:\n  " + String.join("\n  ", examples));
    }
  }

  private OutputComparison() {}

  /**
   * @param streamOf the record's stream, whose order must be kept
   */
  public static <T extends GenericRecord> Result compare(
      String topic, List<T> reference, List<T> actual, Function<T, String> streamOf) {
    Map<String, List<T>> want = byStream(reference, streamOf);
    Map<String, List<T>> got = byStream(actual, streamOf);
    int lost = 0;
    int duplicated = 0;
    int differing = 0;
    List<String> examples = new ArrayList<>();
    for (String stream : union(want, got)) {
      List<T> w = want.getOrDefault(stream, List.of());
      List<T> g = got.getOrDefault(stream, List.of());
      Map<String, Integer> counts = new HashMap<>();
      w.forEach(r -> counts.merge(identity(r), 1, Integer::sum));
      g.forEach(r -> counts.merge(identity(r), -1, Integer::sum));
      for (int c : counts.values()) {
        if (c > 0) {
          lost += c;
        } else {
          duplicated -= c;
        }
      }
      for (int i = 0; i < Math.max(w.size(), g.size()); i++) {
        T a = i < w.size() ? w.get(i) : null;
        T b = i < g.size() ? g.get(i) : null;
        if (a == null || b == null || !same(a, b)) {
          differing += w.size() == g.size() ? 1 : 0;
          if (examples.size() < 6) {
            examples.add("want " + a + "\n  got  " + b);
          }
        }
      }
    }
    return new Result(topic, reference.size(), lost, duplicated, differing, examples);
  }

  private static <T> Map<String, List<T>> byStream(List<T> records, Function<T, String> streamOf) {
    Map<String, List<T>> m = new LinkedHashMap<>();
    for (T r : records) {
      m.computeIfAbsent(streamOf.apply(r), k -> new ArrayList<>()).add(r);
    }
    return m;
  }

  private static List<String> union(Map<String, ?> a, Map<String, ?> b) {
    List<String> keys = new ArrayList<>(a.keySet());
    b.keySet().stream().filter(k -> !a.containsKey(k)).forEach(keys::add);
    return keys;
  }

  /** The record without its floating-point fields: what must match exactly. */
  static String identity(Object v) {
    if (v instanceof GenericRecord r) {
      StringBuilder s = new StringBuilder("{");
      for (Schema.Field f : r.getSchema().getFields()) {
        s.append(f.name()).append('=').append(identity(r.get(f.pos()))).append(',');
      }
      return s.append('}').toString();
    }
    if (v instanceof List<?> list) {
      StringBuilder s = new StringBuilder("[");
      for (Object o : list) {
        s.append(identity(o)).append(',');
      }
      return s.append(']').toString();
    }
    if (v instanceof Map<?, ?> map) {
      StringBuilder s = new StringBuilder("{");
      new TreeMap<>(stringKeys(map))
          .forEach((k, x) -> s.append(k).append('=').append(identity(x)).append(','));
      return s.append('}').toString();
    }
    if (v instanceof Float || v instanceof Double) {
      return "#";
    }
    return String.valueOf(v);
  }

  /** Avro map keys are Utf8 or String, depending on the reader: compare them as strings. */
  private static Map<String, Object> stringKeys(Map<?, ?> map) {
    Map<String, Object> m = new HashMap<>();
    map.forEach((k, v) -> m.put(String.valueOf(k), v));
    return m;
  }

  /** Equal, floats within {@link #TOLERANCE}. */
  static boolean same(Object a, Object b) {
    if (a instanceof GenericRecord ra && b instanceof GenericRecord rb) {
      if (!ra.getSchema().equals(rb.getSchema())) {
        return false;
      }
      for (Schema.Field f : ra.getSchema().getFields()) {
        if (!same(ra.get(f.pos()), rb.get(f.pos()))) {
          return false;
        }
      }
      return true;
    }
    if (a instanceof List<?> la && b instanceof List<?> lb) {
      if (la.size() != lb.size()) {
        return false;
      }
      for (int i = 0; i < la.size(); i++) {
        if (!same(la.get(i), lb.get(i))) {
          return false;
        }
      }
      return true;
    }
    if (a instanceof Map<?, ?> ma && b instanceof Map<?, ?> mb) {
      Map<String, Object> sa = stringKeys(ma);
      Map<String, Object> sb = stringKeys(mb);
      return sa.keySet().equals(sb.keySet())
          && sa.keySet().stream().allMatch(k -> same(sa.get(k), sb.get(k)));
    }
    if (a instanceof Number na
        && b instanceof Number nb
        && (a instanceof Float || a instanceof Double)) {
      return Math.abs(na.doubleValue() - nb.doubleValue()) <= TOLERANCE;
    }
    return String.valueOf(a).equals(String.valueOf(b));
  }
}
