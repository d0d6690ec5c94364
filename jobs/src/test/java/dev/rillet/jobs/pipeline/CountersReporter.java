package dev.rillet.jobs.pipeline;

import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.Metric;
import org.apache.flink.metrics.MetricConfig;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.metrics.reporter.MetricReporter;
import org.apache.flink.metrics.reporter.MetricReporterFactory;

/**
 * A metric reporter for tests that keeps every counter of every job in memory, so a test can read
 * an operator's counters after its bounded job has finished ({@link #total}). Enabled for a local
 * environment by {@link #settings()}.
 */
public final class CountersReporter implements MetricReporter {
  private static final Map<String, List<Counter>> COUNTERS = new ConcurrentHashMap<>();

  /** Flink settings that add this reporter to a MiniCluster. */
  public static Configuration settings() {
    Configuration flink = new Configuration();
    flink.setString("metrics.reporter.counters.factory.class", Factory.class.getName());
    return flink;
  }

  /** The sum of the counters named {@code name} over all subtasks of the job {@code jobName}. */
  public static long total(String jobName, String name) {
    return COUNTERS.getOrDefault(jobName + "/" + name, List.of()).stream()
        .mapToLong(Counter::getCount)
        .sum();
  }

  @Override
  public void open(MetricConfig config) {}

  @Override
  public void close() {}

  @Override
  public void notifyOfAddedMetric(Metric metric, String metricName, MetricGroup group) {
    if (metric instanceof Counter counter) {
      String job = group.getAllVariables().get("<job_name>");
      COUNTERS
          .computeIfAbsent(job + "/" + metricName, k -> new CopyOnWriteArrayList<>())
          .add(counter);
    }
  }

  @Override
  public void notifyOfRemovedMetric(Metric metric, String metricName, MetricGroup group) {
    // Kept: a finished job's counters are what the tests read.
  }

  /** Creates the reporter; listed in META-INF/services for Flink's reporter discovery. */
  public static final class Factory implements MetricReporterFactory {
    @Override
    public MetricReporter createMetricReporter(Properties properties) {
      return new CountersReporter();
    }
  }
}
