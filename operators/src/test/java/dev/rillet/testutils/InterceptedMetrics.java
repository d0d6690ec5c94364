package dev.rillet.testutils;

import java.util.Map;
import org.apache.flink.metrics.Gauge;
import org.apache.flink.metrics.Metric;
import org.apache.flink.runtime.jobgraph.OperatorID;
import org.apache.flink.runtime.metrics.groups.InternalOperatorMetricGroup;
import org.apache.flink.runtime.metrics.util.InterceptingOperatorMetricGroup;
import org.apache.flink.runtime.metrics.util.InterceptingTaskMetricGroup;
import org.apache.flink.runtime.operators.testutils.MockEnvironment;
import org.apache.flink.runtime.operators.testutils.MockEnvironmentBuilder;

/**
 * A mock task environment whose operator registers its metrics where a test can read them: pass
 * {@link #environment()} to a test harness, then read {@link #get} after {@code open()}. The
 * harnesses' default environment drops every metric.
 */
public final class InterceptedMetrics implements AutoCloseable {
  private final InterceptingOperatorMetricGroup operator = new InterceptingOperatorMetricGroup();
  private final MockEnvironment environment;

  public InterceptedMetrics() {
    InterceptingTaskMetricGroup task =
        new InterceptingTaskMetricGroup() {
          @Override
          public InternalOperatorMetricGroup getOrAddOperator(
              OperatorID id, String name, Map<String, String> additionalVariables) {
            return operator;
          }
        };
    environment = new MockEnvironmentBuilder().setMetricGroup(task).build();
  }

  /** The environment to run the operator in; one operator per instance. */
  public MockEnvironment environment() {
    return environment;
  }

  /** The metric the operator registered as {@code name} in its own group; null if none. */
  public Metric get(String name) {
    return operator.get(name);
  }

  /** The value of the gauge {@code name}, as a long. */
  public long gauge(String name) {
    Metric m = get(name);
    if (!(m instanceof Gauge<?> g)) {
      throw new AssertionError("no gauge " + name + " (found " + m + ")");
    }
    return ((Number) g.getValue()).longValue();
  }

  @Override
  public void close() throws Exception {
    environment.close();
  }
}
