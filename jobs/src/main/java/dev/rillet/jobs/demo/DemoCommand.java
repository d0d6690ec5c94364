package dev.rillet.jobs.demo;

import dev.rillet.avro.TextEvent;
import dev.rillet.elmo.runtime.SharedElmo;
import dev.rillet.jobs.cli.Command;
import dev.rillet.jobs.cli.CommandContext;
import dev.rillet.jobs.cli.TextEventFiles;
import dev.rillet.jobs.pipeline.LiveEnvironment;
import dev.rillet.jobs.pipeline.LiveJob;
import dev.rillet.jobs.pipeline.ModelLocator;
import dev.rillet.jobs.pipeline.PipelineOptions;
import dev.rillet.jobs.pipeline.SentenceOptions;
import dev.rillet.jobs.pipeline.SentenceStage;
import dev.rillet.kafka.KafkaOptions;
import dev.rillet.kafka.embedded.EmbeddedKafka;
import dev.rillet.onnx.SharedCache;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;

/**
 * {@code rillet demo}: a real Kafka broker in-process, the live job on a local MiniCluster, sample
 * streams fed at a steady rate, and the committed outputs shown as they arrive.
 */
public final class DemoCommand implements Command {
  /** Stop waiting for outputs when nothing new was committed for this long after feeding ended. */
  private static final Duration QUIET_LIMIT = Duration.ofSeconds(60);

  @Override
  public String name() {
    return "demo";
  }

  @Override
  public String summary() {
    return "Embedded demo: in-process Kafka + local Flink, sample streams in, tags and sentiment"
        + " shown live.";
  }

  @Override
  public List<ConfigOption<?>> options() {
    List<ConfigOption<?>> options = new ArrayList<>(DemoOptions.all());
    options.addAll(PipelineOptions.all());
    options.addAll(SentenceOptions.all());
    options.addAll(
        List.of(
            KafkaOptions.INPUT_TOPIC,
            KafkaOptions.TAGS_TOPIC,
            KafkaOptions.SENTIMENT_TOPIC,
            KafkaOptions.SENTENCES_TOPIC,
            KafkaOptions.DEAD_LETTER_TOPIC));
    return options;
  }

  @Override
  public int run(CommandContext context, Configuration conf) throws Exception {
    ModelLocator.CheckedModel model =
        ModelLocator.resolveAndCheck(context.modelRoot(), conf.get(PipelineOptions.MODEL));
    double rate = conf.get(DemoOptions.RATE);
    if (!(rate > 0)) {
      throw new IllegalArgumentException("--rate must be > 0 events per second, got " + rate);
    }
    boolean sample = !conf.contains(DemoOptions.INPUT);
    List<TextEvent> events =
        sample
            ? SampleStreams.load(System.currentTimeMillis(), Math.round(1000 / rate))
            : readInput(Path.of(conf.get(DemoOptions.INPUT)));
    SentenceStage stage = SentenceStage.resolve(conf);
    ConsoleView view = new ConsoleView(context.out(), System.console() != null);
    view.info("model " + model.modelId() + " (" + model.dir() + ")");
    if (model.notice() != null) {
      view.info(model.notice());
    }
    // Loaded once here; the job's operators share it (same JVM), and it stays loaded until the end.
    try (SharedCache.Lease<SharedElmo.Stack> elmo = stage == null ? null : stage.check()) {
      view.info(
          stage == null ? SentenceStage.offReason(conf) : "sentence stage: " + stage.describe());
      return run(conf, model, stage != null, events, sample, rate, view);
    }
  }

  /**
   * Starts the broker and the job, feeds the events and shows the outputs until Ctrl-C or, with
   * {@code --exit-when-done}, until they are all committed; then cancels the job and closes the
   * broker.
   */
  private static int run(
      Configuration conf,
      ModelLocator.CheckedModel model,
      boolean sentences,
      List<TextEvent> events,
      boolean sample,
      double rate,
      ConsoleView view)
      throws Exception {
    try (StopHook stop = StopHook.install();
        // Quietly: the storage formatter prints to stdout, which is the demo's screen.
        EmbeddedKafka kafka =
            EmbeddedKafka.builder().port(conf.get(DemoOptions.KAFKA_PORT)).startQuietly()) {
      Configuration job = new Configuration(conf);
      job.set(KafkaOptions.BOOTSTRAP_SERVERS, kafka.bootstrapServers());
      String input = job.get(KafkaOptions.INPUT_TOPIC);
      List<String> all = new ArrayList<>(OutputWatcher.outputTopics(job).keySet());
      all.add(input);
      kafka.createTopics(job.get(DemoOptions.PARTITIONS), all.toArray(new String[0]));
      view.info("Kafka broker at " + kafka.bootstrapServers() + "; input topic " + input);

      StreamExecutionEnvironment env = LiveEnvironment.create(job);
      LiveJob.build(env, job, model.dir(), LiveJob.liveSource(job));
      JobClient client = env.executeAsync("rillet-demo");
      view.info(
          "Flink job "
              + client.getJobID()
              + " running; feeding "
              + events.size()
              + " events at "
              + rate
              + "/s");

      Completion completion = new Completion(events, sentences);
      Feeder feeder =
          new Feeder(kafka.bootstrapServers(), input, events, rate, sample, stop.flag());
      feeder.start();
      try (OutputWatcher watcher = new OutputWatcher(job, jsonlFile(conf), view, completion)) {
        watch(watcher, feeder, completion, conf.get(DemoOptions.EXIT_WHEN_DONE), stop, view);
      } finally {
        stop.flag().set(true);
        feeder.join();
        client.cancel().get(30, TimeUnit.SECONDS);
      }
      if (feeder.failure() != null) {
        throw new IOException("feeding the input topic failed", feeder.failure());
      }
      return 0;
    }
  }

  /**
   * Shows the outputs as they come until Ctrl-C; with {@code exitWhenDone}, also until every
   * stream's outputs are committed, or until nothing new came for {@link #QUIET_LIMIT}, once the
   * feeder is done.
   */
  private static void watch(
      OutputWatcher watcher,
      Feeder feeder,
      Completion completion,
      boolean exitWhenDone,
      StopHook stop,
      ConsoleView view)
      throws IOException {
    long lastProgress = System.nanoTime();
    while (!stop.flag().get()) {
      if (watcher.poll()) {
        lastProgress = System.nanoTime();
      }
      if (exitWhenDone && feeder.done()) {
        if (completion.allDone()) {
          view.flushPending();
          view.info("all " + feeder.eventCount() + " events fed and their outputs committed; done");
          return;
        }
        if (System.nanoTime() - lastProgress > QUIET_LIMIT.toNanos()) {
          view.flushPending();
          view.info("no new output for " + QUIET_LIMIT.toSeconds() + " s; stopping");
          return;
        }
      }
    }
  }

  /** The {@code --sink-jsonl} file, or null. */
  private static Path jsonlFile(Configuration conf) {
    return conf.contains(DemoOptions.SINK_JSONL) ? Path.of(conf.get(DemoOptions.SINK_JSONL)) : null;
  }

  static List<TextEvent> readInput(Path file) throws IOException {
    List<TextEvent> events = TextEventFiles.read(file, "--input");
    if (events.isEmpty()) {
      throw new IllegalArgumentException("--input " + file + ": holds no events");
    }
    return events;
  }
}
