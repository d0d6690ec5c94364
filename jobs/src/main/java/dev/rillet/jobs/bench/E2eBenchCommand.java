package dev.rillet.jobs.bench;

import dev.rillet.avro.TextEvent;
import dev.rillet.avro.TokenTag;
import dev.rillet.jobs.cli.Command;
import dev.rillet.jobs.cli.CommandContext;
import dev.rillet.jobs.cluster.ClusterOptions;
import dev.rillet.jobs.cluster.ClusterSubmission;
import dev.rillet.jobs.cluster.FlinkRestClient;
import dev.rillet.jobs.pipeline.LiveEnvironment;
import dev.rillet.jobs.pipeline.LiveJob;
import dev.rillet.jobs.pipeline.ModelLocator;
import dev.rillet.jobs.pipeline.OutputReaders;
import dev.rillet.jobs.pipeline.PipelineOptions;
import dev.rillet.jobs.pipeline.SentenceOptions;
import dev.rillet.jobs.pipeline.SentenceStage;
import dev.rillet.kafka.KafkaOptions;
import dev.rillet.kafka.OrderedProducers;
import dev.rillet.kafka.embedded.EmbeddedKafka;
import dev.rillet.tokenize.WordTokenizer;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Function;
import org.HdrHistogram.Histogram;
import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.configuration.ConfigOptions;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.connector.base.DeliveryGuarantee;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;

/**
 * {@code rillet bench e2e}: the live job as users run it ({@link LiveJob#build}, Kafka source and
 * sinks) on a local MiniCluster against an in-process broker, fed open-loop: a producer thread
 * writes TextEvents of many streams on a fixed schedule, whatever the outputs do, and stamps each
 * record with its scheduled time, so a slow response cannot hide itself by delaying the next
 * request (coordinated omission).
 *
 * <p>Per job run (one parallelism, one delivery guarantee): a warm-up, a ramp of rising rates that
 * stops at the first rate the job cannot sustain, then fixed rates at fractions of the highest
 * sustained one. Each step feeds for a fixed time, then waits until every token of the step has its
 * tag, so steps do not overlap. Exactly-once runs then measure the committed latency at one rate
 * per checkpoint interval.
 */
public final class E2eBenchCommand implements Command {
  static final ConfigOption<String> PARALLELISMS =
      ConfigOptions.key("parallelisms")
          .stringType()
          .defaultValue("1,2")
          .withDescription(
              "Comma-separated parallelisms; each gets a job of its own with delivery guarantee"
                  + " none (emit latency): warm-up, ramp, fixed rates.");

  static final ConfigOption<Integer> STREAMS =
      ConfigOptions.key("streams")
          .intType()
          .defaultValue(1000)
          .withDescription("Number of streams; events go to them round robin.");

  static final ConfigOption<Integer> WORDS_PER_EVENT =
      ConfigOptions.key("words-per-event")
          .intType()
          .defaultValue(7)
          .withDescription(
              "Words of each event; every event also ends with '.', so it has words + 1 tokens and"
                  + " closes one sentence.");

  static final ConfigOption<Double> RAMP_START =
      ConfigOptions.key("ramp-start")
          .doubleType()
          .defaultValue(4000.0)
          .withDescription("First rate of the ramp, tokens per second (also the warm-up's rate).");

  static final ConfigOption<Double> RAMP_FACTOR =
      ConfigOptions.key("ramp-factor")
          .doubleType()
          .defaultValue(1.5)
          .withDescription("Each ramp step's rate is the previous one's times this.");

  static final ConfigOption<Double> RAMP_MAX =
      ConfigOptions.key("ramp-max")
          .doubleType()
          .defaultValue(1_000_000.0)
          .withDescription("The ramp stops at this rate (tokens/s) even if the job keeps up.");

  static final ConfigOption<String> FRACTIONS =
      ConfigOptions.key("fractions")
          .stringType()
          .defaultValue("0.25,0.5,0.9")
          .withDescription(
              "Fixed rates run after the ramp, as fractions of the highest sustained rate.");

  static final ConfigOption<Duration> STEP_DURATION =
      ConfigOptions.key("step-duration")
          .durationType()
          .defaultValue(Duration.ofSeconds(5))
          .withDescription("How long each ramp step and fixed rate feeds input.");

  static final ConfigOption<Duration> WARMUP =
      ConfigOptions.key("warmup")
          .durationType()
          .defaultValue(Duration.ofSeconds(8))
          .withDescription(
              "Feeding at the ramp's start rate after each job starts (JIT, ONNX Runtime"
                  + " sessions); not reported.");

  static final ConfigOption<String> CHECKPOINT_INTERVALS =
      ConfigOptions.key("checkpoint-intervals")
          .stringType()
          .defaultValue("1s,2s")
          .withDescription(
              "Exactly-once runs (read_committed consumer) at the first parallelism, one job per"
                  + " interval, at --committed-fraction of that parallelism's highest sustained"
                  + " rate; empty for none.");

  static final ConfigOption<Double> COMMITTED_FRACTION =
      ConfigOptions.key("committed-fraction")
          .doubleType()
          .defaultValue(0.5)
          .withDescription("Rate of the exactly-once runs, as a fraction of the sustained rate.");

  static final ConfigOption<Duration> COMMITTED_DURATION =
      ConfigOptions.key("committed-duration")
          .durationType()
          .defaultValue(Duration.ofSeconds(10))
          .withDescription("How long each exactly-once run feeds input (after its warm-up).");

  static final ConfigOption<Duration> DRAIN_TIMEOUT =
      ConfigOptions.key("drain-timeout")
          .durationType()
          .defaultValue(Duration.ofSeconds(60))
          .withDescription(
              "After a step's feeding ends, wait at most this long for its last outputs.");

  static final ConfigOption<String> BUFFER_TIMEOUTS =
      ConfigOptions.key("compare-buffer-timeouts")
          .stringType()
          .defaultValue("100ms,10ms,1ms")
          .withDescription(
              "Comma-separated buffer timeouts compared side by side after the ramps: one job"
                  + " each (first parallelism, delivery guarantee none) fed at"
                  + " --committed-fraction of its sustained rate for --step-duration. Empty:"
                  + " none.");

  static final ConfigOption<Integer> PARTITIONS =
      ConfigOptions.key("partitions")
          .intType()
          .defaultValue(4)
          .withDescription("Partitions of every topic the bench creates.");

  /** A step kept up when its output rate reached this share of the target... */
  static final double KEPT_UP_SHARE = 0.95;

  /** ...and the tokens still without a tag when feeding ended were at most this much input. */
  static final Duration MAX_LAG = Duration.ofSeconds(1);

  @Override
  public String name() {
    return "bench e2e";
  }

  @Override
  public String summary() {
    return "Benchmark the live job end to end: Kafka in, Kafka out, open-loop rates, latency"
        + " percentiles.";
  }

  @Override
  public List<ConfigOption<?>> options() {
    List<ConfigOption<?>> options =
        new ArrayList<>(
            List.of(
                PARALLELISMS,
                STREAMS,
                WORDS_PER_EVENT,
                RAMP_START,
                RAMP_FACTOR,
                RAMP_MAX,
                FRACTIONS,
                STEP_DURATION,
                WARMUP,
                CHECKPOINT_INTERVALS,
                COMMITTED_FRACTION,
                COMMITTED_DURATION,
                DRAIN_TIMEOUT,
                BUFFER_TIMEOUTS,
                PARTITIONS,
                ClusterOptions.JOBMANAGER,
                KafkaOptions.CLIENT_CONFIG));
    options.addAll(StatelessBaseline.options());
    for (ConfigOption<?> o : PipelineOptions.all()) {
      if (o != PipelineOptions.PARALLELISM && o != PipelineOptions.CHECKPOINT_INTERVAL) {
        options.add(o);
      }
    }
    options.addAll(SentenceOptions.all());
    return options;
  }

  @Override
  public int run(CommandContext context, Configuration conf) throws Exception {
    ModelLocator.CheckedModel model =
        ModelLocator.resolveAndCheck(context.modelRoot(), conf.get(PipelineOptions.MODEL));
    SentenceStage stage = SentenceStage.resolve(conf);
    PrintStream out = context.out();
    List<Integer> parallelisms = new ArrayList<>();
    for (String p : conf.get(PARALLELISMS).split(",")) {
      int value = Integer.parseInt(p.trim());
      if (value < 1) {
        throw new IllegalArgumentException("--parallelisms: " + value + " is not >= 1");
      }
      parallelisms.add(value);
    }
    List<Double> fractions = parseList(conf.get(FRACTIONS), Double::parseDouble);
    List<Duration> intervals =
        parseList(conf.get(CHECKPOINT_INTERVALS), E2eBenchCommand::parseDuration);
    List<Duration> bufferTimeouts =
        parseList(conf.get(BUFFER_TIMEOUTS), E2eBenchCommand::parseDuration);
    List<String> words = alphabeticWords(Files.readAllLines(model.dir().resolve("vocab.txt")));
    int tokensPerEvent = conf.get(WORDS_PER_EVENT) + 1;
    out.printf(
        "bench e2e: model %s, sentence stage %s, %d streams, %d tokens per event, %d cores, %s;"
            + " latency from the input record's timestamp (its scheduled send time) to the tag"
            + " record's LogAppendTime (emit) and to the bench consumer's receipt under"
            + " read_committed (seen)%n",
        model.modelId(),
        stage == null ? "off" : "on (" + stage.describe() + ")",
        conf.get(STREAMS),
        tokensPerEvent,
        Runtime.getRuntime().availableProcessors(),
        conf.getOptional(ClusterOptions.JOBMANAGER)
            .map(jm -> "jobs on the cluster at " + jm)
            .orElse("jobs on a MiniCluster in this process"));

    List<Row> rows = new ArrayList<>();
    Map<Integer, Double> sustained = new HashMap<>();
    try (EmbeddedKafka kafka = startQuietly()) {
      Feed feed = new Feed(conf.get(STREAMS), words, conf.get(WORDS_PER_EVENT));
      int run = 0;
      out.println(Row.header());
      for (int p : parallelisms) {
        JobRun job =
            new JobRun(
                kafka,
                conf,
                model,
                stage != null,
                feed,
                ++run,
                p,
                DeliveryGuarantee.NONE,
                null,
                null);
        try {
          job.warmUp();
          double best = 0;
          double rate = conf.get(RAMP_START);
          int failures = 0;
          while (rate <= conf.get(RAMP_MAX)) {
            Row row = job.step("ramp", rate, conf.get(STEP_DURATION));
            rows.add(row);
            out.println(row);
            if (row.keptUp) {
              best = rate;
              rate *= conf.get(RAMP_FACTOR);
            } else if (best == 0 && failures++ < 3) {
              // Not even the start rate: go down until one is sustained.
              rate /= 2;
            } else {
              break;
            }
          }
          sustained.put(p, best);
          out.printf("parallelism %d: highest sustained rate %.0f tokens/s%n", p, best);
          for (double f : fractions) {
            if (best > 0) {
              Row row =
                  job.step(
                      String.format(Locale.ROOT, "%.0f%%", f * 100),
                      best * f,
                      conf.get(STEP_DURATION));
              rows.add(row);
              out.println(row);
            }
          }
        } finally {
          job.close();
        }
      }
      int p = parallelisms.get(0);
      double committedRate = sustained.getOrDefault(p, 0.0) * conf.get(COMMITTED_FRACTION);
      String phase = String.format(Locale.ROOT, "%.0f%%", conf.get(COMMITTED_FRACTION) * 100);
      for (Duration interval : committedRate > 0 ? intervals : List.<Duration>of()) {
        JobRun job =
            new JobRun(
                kafka,
                conf,
                model,
                stage != null,
                feed,
                ++run,
                p,
                DeliveryGuarantee.EXACTLY_ONCE,
                interval,
                null);
        rows.add(oneStep(job, phase, committedRate, conf.get(COMMITTED_DURATION), out));
      }
      for (Duration bufferTimeout : committedRate > 0 ? bufferTimeouts : List.<Duration>of()) {
        JobRun job =
            new JobRun(
                kafka,
                conf,
                model,
                stage != null,
                feed,
                ++run,
                p,
                DeliveryGuarantee.NONE,
                null,
                bufferTimeout);
        rows.add(oneStep(job, phase, committedRate, conf.get(STEP_DURATION), out));
      }
    }
    out.println();
    out.println(
        "summary (emit = tag record's LogAppendTime - input timestamp;"
            + " seen = bench consumer's receipt, read_committed - input timestamp; ms):");
    out.println(Row.header());
    rows.forEach(out::println);
    StatelessBaseline.Result baseline =
        StatelessBaseline.runIfAsked(conf, model, sustained.get(parallelisms.get(0)), rows, out);
    return rows.isEmpty() || (baseline != null && baseline.failed()) ? 1 : 0;
  }

  /** Warms {@code job} up, feeds it one step at {@code rate}, prints the row and closes it. */
  private static Row oneStep(
      JobRun job, String phase, double rate, Duration duration, PrintStream out) throws Exception {
    try {
      job.warmUp();
      Row row = job.step(phase, rate, duration);
      out.println(row);
      return row;
    } finally {
      job.close();
    }
  }

  /** The non-blank entries of a comma-separated list, each parsed by {@code parse}. */
  static <T> List<T> parseList(String list, Function<String, T> parse) {
    List<T> out = new ArrayList<>();
    for (String entry : list.split(",")) {
      if (!entry.isBlank()) {
        out.add(parse.apply(entry.trim()));
      }
    }
    return out;
  }

  /** "2s", "500ms": a duration as the table prints it. */
  static String shortDuration(Duration d) {
    return d.toMillis() % 1000 == 0 && !d.isZero() ? d.toSeconds() + "s" : d.toMillis() + "ms";
  }

  static Duration parseDuration(String text) {
    Configuration c = new Configuration();
    c.setString("d", text);
    return c.get(ConfigOptions.key("d").durationType().noDefaultValue());
  }

  /** Words the tokenizer keeps as one token each, so every event has a known token count. */
  static List<String> alphabeticWords(List<String> vocabulary) {
    List<String> words = new ArrayList<>();
    for (String w : vocabulary) {
      if (w.length() >= 2 && w.chars().allMatch(c -> c >= 'a' && c <= 'z')) {
        words.add(w);
      }
    }
    if (words.size() < 10) {
      throw new IllegalArgumentException("the model's vocab.txt has too few plain words to bench");
    }
    return words;
  }

  private static EmbeddedKafka startQuietly() {
    return EmbeddedKafka.builder().startQuietly();
  }

  /** The input: streams s0..sN-1 in turn, each event a few random words and a full stop. */
  static final class Feed {
    final int streams;
    final List<String> words;
    final int wordsPerEvent;
    final long[] nextSeq;
    final Random random = new Random(7);

    Feed(int streams, List<String> words, int wordsPerEvent) {
      this.streams = streams;
      this.words = words;
      this.wordsPerEvent = wordsPerEvent;
      this.nextSeq = new long[streams];
    }

    String text() {
      StringBuilder b = new StringBuilder();
      for (int i = 0; i < wordsPerEvent; i++) {
        b.append(words.get(random.nextInt(words.size()))).append(' ');
      }
      return b.append('.').toString();
    }
  }

  /** One result line. */
  static final class Row {
    int parallelism;
    String guarantee;
    String checkpoint;
    String bufferTimeout;
    String phase;
    double target;
    double achieved;
    double sentencesPerSecond = Double.NaN;
    Histogram emit;
    Histogram seen;
    long lagTokens;
    double producerBehindMs;
    boolean keptUp;

    static String header() {
      return String.format(
          Locale.ROOT,
          "%-2s %-12s %-5s %-5s %-5s %9s %9s %7s | %6s %6s %6s %6s | %6s %6s %6s %6s | %8s %6s %4s",
          "p",
          "guarantee",
          "ckpt",
          "buf",
          "phase",
          "target/s",
          "tokens/s",
          "sent/s",
          "emit50",
          "99",
          "99.9",
          "max",
          "seen50",
          "99",
          "99.9",
          "max",
          "lag",
          "behind",
          "ok");
    }

    @Override
    public String toString() {
      return String.format(
          Locale.ROOT,
          "%-2d %-12s %-5s %-5s %-5s %9.0f %9.0f %7s | %6d %6d %6d %6d | %6d %6d %6d %6d | %8d %6.0f %4s",
          parallelism,
          guarantee,
          checkpoint,
          bufferTimeout,
          phase,
          target,
          achieved,
          Double.isNaN(sentencesPerSecond) ? "-" : String.format("%.0f", sentencesPerSecond),
          emit.getValueAtPercentile(50),
          emit.getValueAtPercentile(99),
          emit.getValueAtPercentile(99.9),
          emit.getMaxValue(),
          seen.getValueAtPercentile(50),
          seen.getValueAtPercentile(99),
          seen.getValueAtPercentile(99.9),
          seen.getMaxValue(),
          lagTokens,
          producerBehindMs,
          keptUp ? "yes" : "NO");
    }
  }

  /** One job on the MiniCluster with topics of its own, and the steps fed to it. */
  private static final class JobRun implements AutoCloseable {
    private final Configuration conf;
    private final Feed feed;
    private final int parallelism;
    private final DeliveryGuarantee guarantee;
    private final Duration interval;
    private final Duration bufferTimeout;
    private final boolean sentences;
    private final String inputTopic;
    private final String tagsTopic;
    private final String sentencesTopic;
    private final String servers;

    /** The job in this process's MiniCluster; null when it runs on a cluster. */
    private final JobClient client;

    /** The cluster the job was submitted to and its id; null when it runs in this process. */
    private final FlinkRestClient cluster;

    private final String clusterJobId;
    private final KafkaConsumer<byte[], byte[]> consumer;
    private final KafkaProducer<byte[], byte[]> producer;

    /** (stream, seq) -> scheduled send time in epoch ms, for the events of the current step. */
    private final Map<Long, Long> scheduled = new ConcurrentHashMap<>();

    JobRun(
        EmbeddedKafka kafka,
        Configuration options,
        ModelLocator.CheckedModel model,
        boolean sentences,
        Feed feed,
        int run,
        int parallelism,
        DeliveryGuarantee guarantee,
        Duration interval,
        Duration bufferTimeout)
        throws Exception {
      this.feed = feed;
      this.parallelism = parallelism;
      this.guarantee = guarantee;
      this.interval = interval;
      this.sentences = sentences;
      this.servers = kafka.bootstrapServers();
      String prefix = "bench" + run;
      inputTopic = prefix + ".text";
      tagsTopic = prefix + ".tags";
      sentencesTopic = prefix + ".sentences";
      createTopics(options.get(PARTITIONS), prefix);
      conf = new Configuration(options);
      conf.set(KafkaOptions.BOOTSTRAP_SERVERS, servers);
      conf.set(KafkaOptions.INPUT_TOPIC, inputTopic);
      conf.set(KafkaOptions.TAGS_TOPIC, tagsTopic);
      conf.set(KafkaOptions.SENTIMENT_TOPIC, prefix + ".sentiment");
      conf.set(KafkaOptions.SENTENCES_TOPIC, sentencesTopic);
      conf.set(KafkaOptions.DEAD_LETTER_TOPIC, prefix + ".dead-letters");
      conf.set(KafkaOptions.GROUP_ID, prefix);
      conf.set(KafkaOptions.TRANSACTIONAL_ID_PREFIX, prefix);
      conf.set(KafkaOptions.DELIVERY_GUARANTEE, guarantee);
      conf.set(PipelineOptions.PARALLELISM, parallelism);
      if (interval != null) {
        conf.set(PipelineOptions.CHECKPOINT_INTERVAL, interval);
      }
      consumer = consumer(servers);
      consumer.subscribe(sentences ? List.of(tagsTopic, sentencesTopic) : List.of(tagsTopic));
      Properties p = OrderedProducers.properties(servers);
      p.put(ProducerConfig.LINGER_MS_CONFIG, "1");
      producer = OrderedProducers.create(p);
      if (bufferTimeout != null) {
        conf.set(PipelineOptions.BUFFER_TIMEOUT, bufferTimeout);
      }
      this.bufferTimeout = conf.get(PipelineOptions.BUFFER_TIMEOUT);
      if (conf.getOptional(ClusterOptions.JOBMANAGER).isPresent()) {
        // As ./rillet live --jobmanager submits it: the job jar, over REST, detached.
        ClusterSubmission.Submitted submitted =
            ClusterSubmission.submitLive(
                conf, LiveJob.options(), new PrintStream(OutputStream.nullOutputStream()));
        cluster = new FlinkRestClient(conf.get(ClusterOptions.JOBMANAGER));
        clusterJobId = submitted.jobId();
        client = null;
      } else {
        StreamExecutionEnvironment env = LiveEnvironment.create(conf);
        LiveJob.build(env, conf, model.dir(), LiveJob.liveSource(conf));
        client = env.executeAsync("rillet-bench-e2e-" + run);
        cluster = null;
        clusterJobId = null;
      }
    }

    private void createTopics(int partitions, String prefix) {
      try (Admin admin =
          Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, servers))) {
        List<NewTopic> topics = new ArrayList<>();
        topics.add(new NewTopic(prefix + ".text", partitions, (short) 1));
        for (String out : List.of(".tags", ".sentiment", ".sentences", ".dead-letters")) {
          // The broker stamps each output record when it appends it: the emit latency's end.
          topics.add(
              new NewTopic(prefix + out, partitions, (short) 1)
                  .configs(Map.of("message.timestamp.type", "LogAppendTime")));
        }
        admin.createTopics(topics).all().get(30, TimeUnit.SECONDS);
      } catch (Exception e) {
        throw new IllegalStateException("cannot create the bench topics", e);
      }
    }

    private static KafkaConsumer<byte[], byte[]> consumer(String servers) {
      Properties p = OutputReaders.properties(servers, "bench-e2e-reader");
      p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
      p.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, "5000");
      return new KafkaConsumer<>(p);
    }

    void warmUp() throws Exception {
      // The job's start counts here: the drain waits up to two minutes for its first tags.
      step("warm", conf.get(RAMP_START), conf.get(WARMUP), Duration.ofMinutes(2));
    }

    Row step(String phase, double tokensPerSecond, Duration duration) throws Exception {
      return step(phase, tokensPerSecond, duration, conf.get(DRAIN_TIMEOUT));
    }

    /**
     * Feeds {@code tokensPerSecond} for {@code duration} on a producer thread while this thread
     * reads the tags, then keeps reading until every token of the step has its tag or {@code drain}
     * has passed since the feed ended.
     */
    Row step(String phase, double tokensPerSecond, Duration duration, Duration drain)
        throws Exception {
      // Nearly every word is one token; the producer counts them with the job's tokenizer.
      int tokensPerEvent = feed.wordsPerEvent + 1;
      double eventsPerSecond = tokensPerSecond / tokensPerEvent;
      long events = Math.max(1, Math.round(eventsPerSecond * duration.toMillis() / 1000.0));
      scheduled.clear();
      Producer feeder = new Producer(events, eventsPerSecond);
      Histogram emit = new Histogram(3_600_000L, 3);
      Histogram seen = new Histogram(3_600_000L, 3);
      long start = feeder.startMs;
      long feedEnd = start + duration.toMillis();
      long lagAtFeedEnd = -1;
      long tokens = 0;
      long sentenceCount = 0;
      long firstToken = -1;
      long lastToken = start;
      long lastSentence = start;
      feeder.start();
      try {
        while (feeder.isAlive()
            || tokens < feeder.tokens.get()
            || (sentences && sentenceCount < events)) {
          long now = System.currentTimeMillis();
          if (lagAtFeedEnd < 0 && now >= feedEnd) {
            lagAtFeedEnd = feeder.tokens.get() - tokens;
          }
          if (now > feedEnd + drain.toMillis()) {
            break;
          }
          for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(20))) {
            long received = System.currentTimeMillis();
            if (r.topic().equals(sentencesTopic)) {
              sentenceCount++;
              lastSentence = received;
              continue;
            }
            TokenTag tag = TokenTag.getDecoder().decode(r.value());
            Long sent = scheduled.get(key(tag.getStreamId(), tag.getSeq()));
            if (sent == null) {
              continue; // an earlier step's straggler
            }
            tokens++;
            if (firstToken < 0) {
              firstToken = received;
            }
            lastToken = received;
            emit.recordValue(Math.max(0, r.timestamp() - sent));
            seen.recordValue(Math.max(0, received - sent));
          }
        }
      } finally {
        // Feeding ends by feedEnd, before any drain times out: this only waits for its flush.
        feeder.join();
      }
      if (feeder.failure != null) {
        throw new IllegalStateException("the bench producer failed", feeder.failure);
      }
      if (lagAtFeedEnd < 0) {
        lagAtFeedEnd = 0;
      }
      Row row = new Row();
      row.parallelism = parallelism;
      row.guarantee = guarantee.toString().toLowerCase(Locale.ROOT).replace('_', '-');
      row.checkpoint = interval == null ? "-" : shortDuration(interval);
      row.bufferTimeout = shortDuration(bufferTimeout);
      row.phase = phase;
      row.target = tokensPerSecond;
      // The output's own rate: its tokens over the time from its first to its last tag (at least
      // the feeding time), so a constant latency does not count against it.
      row.achieved = tokens * 1000.0 / Math.max(duration.toMillis(), lastToken - firstToken);
      if (sentences) {
        row.sentencesPerSecond =
            sentenceCount * 1000.0 / Math.max(1, Math.max(lastSentence, feedEnd) - start);
      }
      row.emit = emit;
      row.seen = seen;
      row.lagTokens = lagAtFeedEnd;
      row.producerBehindMs = feeder.maxBehindMs;
      // Exactly-once outputs wait for their checkpoint: only the rate decides there.
      boolean lagOk =
          guarantee == DeliveryGuarantee.EXACTLY_ONCE
              || lagAtFeedEnd <= tokensPerSecond * MAX_LAG.toMillis() / 1000.0;
      row.keptUp =
          tokens == feeder.tokens.get()
              && row.achieved >= KEPT_UP_SHARE * tokensPerSecond
              && (!sentences || sentenceCount >= events)
              && lagOk
              && feeder.maxBehindMs <= MAX_LAG.toMillis();
      return row;
    }

    private static long key(String streamId, long seq) {
      return (Long.parseLong(streamId.substring(1)) << 40) | seq;
    }

    @Override
    public void close() throws Exception {
      try {
        if (client != null) {
          client.cancel().get(60, TimeUnit.SECONDS);
        } else {
          cluster.cancel(clusterJobId);
        }
      } finally {
        consumer.close();
        producer.close();
      }
    }

    /** Sends a step's events on schedule; records that fall behind keep their scheduled time. */
    private final class Producer extends Thread {
      final long events;
      final double eventsPerSecond;
      final long startMs = System.currentTimeMillis() + 20;
      final AtomicLong tokens = new AtomicLong();
      final WordTokenizer tokenizer = new WordTokenizer();
      volatile Exception failure;
      volatile long maxBehindMs;

      Producer(long events, double eventsPerSecond) {
        super("bench-e2e-producer");
        setDaemon(true);
        this.events = events;
        this.eventsPerSecond = eventsPerSecond;
      }

      @Override
      public void run() {
        try {
          long i = 0;
          while (i < events && !isInterrupted()) {
            long now = System.currentTimeMillis();
            long due =
                Math.min(events, (long) Math.floor((now - startMs) * eventsPerSecond / 1000) + 1);
            if (due <= i) {
              LockSupport.parkNanos(200_000); // pacing the schedule, not synchronisation
              continue;
            }
            for (; i < due; i++) {
              long at = startMs + (long) (i * 1000 / eventsPerSecond);
              maxBehindMs = Math.max(maxBehindMs, System.currentTimeMillis() - at - 1);
              int s = (int) (i % feed.streams);
              long seq = feed.nextSeq[s]++;
              String streamId = "s" + s;
              scheduled.put(key(streamId, seq), at);
              String text = feed.text();
              tokens.addAndGet(tokenizer.tokenize(text).size());
              TextEvent e =
                  TextEvent.newBuilder()
                      .setStreamId(streamId)
                      .setSeq(seq)
                      .setEventTime(at)
                      .setText(text)
                      .build();
              producer.send(
                  new ProducerRecord<>(
                      inputTopic,
                      null,
                      at,
                      streamId.getBytes(StandardCharsets.UTF_8),
                      TextEvent.getEncoder().encode(e).array()));
            }
          }
          producer.flush();
        } catch (org.apache.kafka.common.errors.InterruptException e) {
          Thread.currentThread().interrupt();
        } catch (Exception e) {
          failure = e;
        }
      }
    }
  }
}
