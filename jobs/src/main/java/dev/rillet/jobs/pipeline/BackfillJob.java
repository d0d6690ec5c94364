package dev.rillet.jobs.pipeline;

import dev.rillet.kafka.KafkaClientConfig;
import dev.rillet.kafka.KafkaOptions;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.flink.api.common.JobExecutionResult;
import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.functions.sink.v2.DiscardingSink;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;

/**
 * The backfill job: the live job's operators over a past time range of the input topic (or a file),
 * in Flink BATCH mode, writing the outputs for [from, to) to the backfill topics, exactly once. Run
 * here ({@link #run}, with progress and a summary on the console) or as a cluster job ({@link
 * #runOnCluster}). See {@link BackfillEnvironment} for why the outputs equal the live job's.
 */
public final class BackfillJob {
  /** The output topic options: the ones a suffix applies to. */
  private static final List<ConfigOption<String>> OUTPUT_TOPICS =
      List.of(
          KafkaOptions.TAGS_TOPIC,
          KafkaOptions.SENTIMENT_TOPIC,
          KafkaOptions.SENTENCES_TOPIC,
          KafkaOptions.DEAD_LETTER_TOPIC);

  private BackfillJob() {}

  /**
   * The backfill as a cluster job, as {@link dev.rillet.jobs.cluster.RilletJob} runs it: the same
   * pipeline as a local run, under the {@code --run-id} the submitting client fixed.
   */
  public static void runOnCluster(Configuration conf) throws Exception {
    BackfillRange range = BackfillRange.of(conf, Instant.now());
    String runId = conf.get(BackfillOptions.RUN_ID);
    if (runId == null) {
      throw new IllegalArgumentException(
          "--run-id is required for a cluster backfill: it names the run's transactional ids,"
              + " which must stay the same if the job restarts");
    }
    Configuration job = outputConfig(conf, "rillet-backfill-" + runId);
    ModelLocator.CheckedModel model = ModelLocator.resolveAndCheck(conf.get(PipelineOptions.MODEL));
    if (SentenceStage.resolve(job) == null) {
      job.set(SentenceOptions.ELMO, SentenceOptions.NONE);
    }
    StreamExecutionEnvironment env = BackfillEnvironment.create(conf);
    build(env, job, model.dir(), range, conf.get(BackfillOptions.INPUT_FILE));
    env.execute("rillet-backfill-" + runId);
  }

  /** The run id: {@code --run-id}, else a new one from the clock. */
  public static String runId(Configuration conf) {
    return Optional.ofNullable(conf.get(BackfillOptions.RUN_ID))
        .orElse(Long.toString(System.currentTimeMillis(), 36));
  }

  /**
   * Adds the backfill job to {@code env}: the input of the range (with its warm-up), the live
   * pipeline behind a {@link WarmupGate}, and the stream census.
   */
  private static BackfillInput.Plan build(
      StreamExecutionEnvironment env,
      Configuration job,
      Path modelDir,
      BackfillRange range,
      String inputFile)
      throws Exception {
    BackfillInput.Plan input =
        inputFile == null
            ? BackfillInput.kafka(env, job, range, job.get(KafkaOptions.GROUP_ID))
            : BackfillInput.file(env, job, Path.of(inputFile), range);
    LiveJob.Pipeline pipeline =
        LiveJob.build(job, modelDir, input.records(), new WarmupGate(range.from(), range.to()));
    pipeline
        .events()
        .keyBy(e -> e.getStreamId())
        .process(new StreamCensus(range.from()))
        .name("stream-census")
        .uid("stream-census")
        .sinkTo(new DiscardingSink<>())
        .name("stream-census-sink")
        .uid("stream-census-sink");
    return input;
  }

  /** What a run did: the counts of its summary. */
  public record Result(
      long recordsIn,
      Map<String, Long> outputsPerTopic,
      long deadLetters,
      long warmupOutputsSuppressed,
      long streams,
      long streamsWarmed,
      long streamsOlderThanWarmup,
      List<String> olderStreamIds,
      long wallMillis) {}

  /**
   * Checks the options, runs the backfill and prints progress and the summary to {@code out}.
   *
   * @param terminal whether {@code out} is a terminal (the progress line is redrawn in place)
   * @throws IllegalArgumentException for bad options, before anything starts
   */
  public static Result run(Configuration conf, PrintStream out, boolean terminal) throws Exception {
    BackfillRange range = BackfillRange.of(conf, Instant.now());
    String inputFile = conf.get(BackfillOptions.INPUT_FILE);
    if (inputFile == null && !conf.contains(KafkaOptions.BOOTSTRAP_SERVERS)) {
      throw new IllegalArgumentException(
          "--bootstrap-servers is required: the Kafka cluster with the input topic and the output"
              + " topics (or replay a file with --input-file, still writing to Kafka)");
    }
    String runId = runId(conf);
    Configuration job = outputConfig(conf, "rillet-backfill-" + runId);
    ModelLocator.CheckedModel model = ModelLocator.resolveAndCheck(conf.get(PipelineOptions.MODEL));
    if (model.notice() != null) {
      out.println("rillet backfill: note: " + model.notice());
    }
    SentenceStage sentences = SentenceStage.resolve(job);
    if (sentences == null) {
      out.println("rillet backfill: " + SentenceStage.offReason(job));
      // Decided once: the job and the topic list below follow this, not a second lookup.
      job.set(SentenceOptions.ELMO, SentenceOptions.NONE);
    }
    List<String> topics = outputTopics(job, sentences != null);
    // Loaded once up front: a bad ELMo path or file fails before anything is read or written, and
    // the local job's operators share this copy.
    try (var elmo = sentences == null ? null : sentences.check()) {
      return run(conf, job, topics, model, range, inputFile, runId, out, terminal);
    }
  }

  private static Result run(
      Configuration conf,
      Configuration job,
      List<String> topics,
      ModelLocator.CheckedModel model,
      BackfillRange range,
      String inputFile,
      String runId,
      PrintStream out,
      boolean terminal)
      throws Exception {
    createMissingTopics(job, topics);

    StreamExecutionEnvironment env = BackfillEnvironment.create(conf);
    BackfillInput.Plan input = build(env, job, model.dir(), range, inputFile);

    out.println(
        "rillet backfill: "
            + (inputFile == null ? job.get(KafkaOptions.INPUT_TOPIC) : inputFile)
            + " "
            + range
            + ", about "
            + input.estimatedTotal()
            + " records -> "
            + String.join(", ", topics)
            + " (run "
            + runId
            + ")");
    long start = System.nanoTime();
    JobClient client = env.executeAsync("rillet-backfill-" + runId);
    BackfillProgress progress =
        new BackfillProgress(out, terminal, input.estimatedTotal(), 10_000L);
    JobExecutionResult result = await(client, progress);
    progress.done();
    Result r = result(result, job, topics, (System.nanoTime() - start) / 1_000_000);
    printSummary(out, r, job);
    return r;
  }

  /** Polls the job's counters for the progress line until it finishes. */
  private static JobExecutionResult await(JobClient client, BackfillProgress progress)
      throws Exception {
    var done = client.getJobExecutionResult();
    while (true) {
      try {
        return done.get(500, TimeUnit.MILLISECONDS);
      } catch (TimeoutException notYet) {
        try {
          Map<String, Object> acc = client.getAccumulators().get(2, TimeUnit.SECONDS);
          progress.update(
              asLong(acc.get(RecordCounter.RECORDS_IN)),
              sumPrefixed(acc, WarmupGate.OUTPUTS_PREFIX));
        } catch (TimeoutException | ExecutionException e) {
          // Counters are not available while the job is being scheduled: next round.
        } catch (IllegalStateException finished) {
          // A local run shuts its MiniCluster down once the job ends, which can fall between
          // the result poll above and this one: the next round returns the result.
        }
      }
    }
  }

  /**
   * The configuration the pipeline runs with: output topics renamed (unless {@code
   * --write-live-topics}), this run's consumer group and transactional id prefix.
   */
  public static Configuration outputConfig(Configuration conf, String runName) {
    Configuration job = new Configuration(conf);
    if (!conf.get(BackfillOptions.WRITE_LIVE_TOPICS)) {
      String suffix = conf.get(BackfillOptions.OUTPUT_SUFFIX);
      if (suffix.isEmpty()) {
        throw new IllegalArgumentException(
            "--output-suffix is empty, which would write into the live topics: give a suffix"
                + " (default .backfill), or --write-live-topics to write there on purpose");
      }
      for (ConfigOption<String> topic : OUTPUT_TOPICS) {
        job.set(topic, conf.get(topic) + suffix);
      }
    }
    for (ConfigOption<String> topic : OUTPUT_TOPICS) {
      if (job.get(topic).equals(conf.get(KafkaOptions.INPUT_TOPIC))) {
        throw new IllegalArgumentException(
            "--" + topic.key() + " " + job.get(topic) + " is the input topic: name another one");
      }
    }
    job.set(KafkaOptions.GROUP_ID, runName);
    job.set(KafkaOptions.TRANSACTIONAL_ID_PREFIX, runName);
    return job;
  }

  /**
   * The output topics of {@code job} (an {@link #outputConfig}), the sentence topic only with
   * {@code sentences}.
   */
  public static List<String> outputTopics(Configuration job, boolean sentences) {
    List<String> topics = new ArrayList<>();
    for (ConfigOption<String> t : OUTPUT_TOPICS) {
      if (t != KafkaOptions.SENTENCES_TOPIC || sentences) {
        topics.add(job.get(t));
      }
    }
    return topics;
  }

  /** Creates output topics that do not exist yet, with the broker's default settings. */
  public static void createMissingTopics(Configuration job, List<String> topics) throws Exception {
    try (Admin admin =
        Admin.create(
            KafkaClientConfig.from(job)
                .properties(
                    KafkaClientConfig.Client.ADMIN, job.get(KafkaOptions.BOOTSTRAP_SERVERS)))) {
      Set<String> existing = admin.listTopics().names().get(30, TimeUnit.SECONDS);
      List<NewTopic> missing = new ArrayList<>();
      for (String t : topics) {
        if (!existing.contains(t)) {
          missing.add(new NewTopic(t, Optional.empty(), Optional.empty()));
        }
      }
      if (!missing.isEmpty()) {
        admin.createTopics(missing).all().get(30, TimeUnit.SECONDS);
      }
    } catch (ExecutionException e) {
      throw new IllegalArgumentException(
          "--bootstrap-servers "
              + job.get(KafkaOptions.BOOTSTRAP_SERVERS)
              + ": cannot list or create the output topics: "
              + e.getCause().getMessage(),
          e);
    }
  }

  private static Result result(
      JobExecutionResult result, Configuration job, List<String> topics, long wallMillis) {
    Map<String, Object> acc = result.getAllAccumulatorResults();
    Map<String, Long> outputs = new LinkedHashMap<>();
    for (String topic : topics) {
      outputs.put(topic, asLong(acc.get(WarmupGate.outputsAccumulator(topic))));
    }
    @SuppressWarnings("unchecked")
    List<String> ids =
        new ArrayList<>((List<String>) acc.getOrDefault(StreamCensus.OLDER_IDS, List.of()));
    ids.sort(Comparator.naturalOrder());
    return new Result(
        asLong(acc.get(RecordCounter.RECORDS_IN)),
        outputs,
        outputs.getOrDefault(job.get(KafkaOptions.DEAD_LETTER_TOPIC), 0L),
        sumPrefixed(acc, WarmupGate.SUPPRESSED_PREFIX),
        asLong(acc.get(StreamCensus.STREAMS)),
        asLong(acc.get(StreamCensus.WARMED)),
        asLong(acc.get(StreamCensus.OLDER)),
        List.copyOf(ids),
        wallMillis);
  }

  private static void printSummary(PrintStream out, Result r, Configuration job) {
    out.printf(Locale.ROOT, "rillet backfill: done in %.1f s%n", r.wallMillis() / 1000.0);
    out.printf(Locale.ROOT, "  records in        %d%n", r.recordsIn());
    for (var e : r.outputsPerTopic().entrySet()) {
      out.printf(Locale.ROOT, "  %-17s %d%n", "-> " + e.getKey(), e.getValue());
    }
    out.printf(Locale.ROOT, "  dead letters      %d%n", r.deadLetters());
    out.printf(Locale.ROOT, "  warm-up outputs   %d not written%n", r.warmupOutputsSuppressed());
    out.printf(
        Locale.ROOT,
        "  streams           %d, %d warmed from their first event, %d older than the warm-up%n",
        r.streams(),
        r.streamsWarmed(),
        r.streamsOlderThanWarmup());
    if (r.streamsOlderThanWarmup() > 0) {
      out.println(
          "  older streams     "
              + String.join(", ", r.olderStreamIds())
              + (r.olderStreamIds().size() < r.streamsOlderThanWarmup() ? ", ..." : "")
              + "\n                    their first event read is not their first (seq > 0): their"
              + " outputs may differ from live; widen --warmup to reach their start");
    }
  }

  private static long sumPrefixed(Map<String, Object> acc, String prefix) {
    long sum = 0;
    for (var e : acc.entrySet()) {
      if (e.getKey().startsWith(prefix)) {
        sum += asLong(e.getValue());
      }
    }
    return sum;
  }

  private static long asLong(Object value) {
    return value instanceof Number ? ((Number) value).longValue() : 0L;
  }
}
