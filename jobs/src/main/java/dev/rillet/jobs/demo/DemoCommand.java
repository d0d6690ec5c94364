package dev.rillet.jobs.demo;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.rillet.avro.RejectedRecord;
import dev.rillet.avro.SentenceAnalysis;
import dev.rillet.avro.StreamSentiment;
import dev.rillet.avro.TextEvent;
import dev.rillet.avro.TokenTag;
import dev.rillet.elmo.runtime.SharedElmo;
import dev.rillet.jobs.cli.Command;
import dev.rillet.jobs.cli.CommandLine;
import dev.rillet.jobs.cli.TextEventFiles;
import dev.rillet.jobs.pipeline.LiveEnvironment;
import dev.rillet.jobs.pipeline.LiveJob;
import dev.rillet.jobs.pipeline.ModelLocator;
import dev.rillet.jobs.pipeline.PipelineOptions;
import dev.rillet.jobs.pipeline.SentenceOptions;
import dev.rillet.jobs.pipeline.SentenceStage;
import dev.rillet.kafka.AvroJson;
import dev.rillet.kafka.KafkaOptions;
import dev.rillet.kafka.OrderedProducers;
import dev.rillet.kafka.embedded.EmbeddedKafka;
import dev.rillet.onnx.SharedCache;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.avro.specific.SpecificRecord;
import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * {@code rillet demo}: a real Kafka broker in-process, the live job on a local MiniCluster, sample
 * streams fed at a steady rate, and the committed outputs shown as they arrive.
 */
public final class DemoCommand implements Command {
  /** Stop waiting for outputs when nothing new was committed for this long after feeding ended. */
  private static final Duration QUIET_LIMIT = Duration.ofSeconds(60);

  private static final ObjectMapper JSON = new ObjectMapper();

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
  public CommandLine commandLine() {
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
    return new CommandLine(name(), summary(), options);
  }

  @Override
  public int run(Configuration conf) throws Exception {
    ModelLocator.CheckedModel model = ModelLocator.resolveAndCheck(conf.get(PipelineOptions.MODEL));
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
    ConsoleView view = new ConsoleView(System.out, System.console() != null);
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

  private int run(
      Configuration conf,
      ModelLocator.CheckedModel model,
      boolean sentences,
      List<TextEvent> events,
      boolean sample,
      double rate,
      ConsoleView view)
      throws Exception {

    AtomicBoolean stop = new AtomicBoolean();
    CountDownLatch cleanedUp = new CountDownLatch(1);
    Thread hook =
        new Thread(
            () -> {
              stop.set(true);
              try {
                cleanedUp.await(30, TimeUnit.SECONDS);
              } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
              }
            });
    Runtime.getRuntime().addShutdownHook(hook);

    try (EmbeddedKafka kafka = startQuietly(conf.get(DemoOptions.KAFKA_PORT))) {
      Configuration job = new Configuration(conf);
      job.set(KafkaOptions.BOOTSTRAP_SERVERS, kafka.bootstrapServers());
      String input = job.get(KafkaOptions.INPUT_TOPIC);
      Map<String, String> topics = outputTopics(job);
      List<String> all = new ArrayList<>(topics.keySet());
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

      Map<String, Long> lastSeqWithText = new HashMap<>();
      for (TextEvent e : events) {
        if (!e.getText().isBlank()) {
          lastSeqWithText.merge(e.getStreamId(), e.getSeq(), Math::max);
        }
      }
      Feeder feeder = new Feeder(kafka.bootstrapServers(), input, events, rate, sample, stop);
      feeder.start();
      try (BufferedWriter jsonl = openJsonl(conf);
          KafkaConsumer<byte[], byte[]> consumer = consumer(kafka.bootstrapServers())) {
        consumer.subscribe(topics.keySet());
        // A stream is done when both its last event's sentiment and its tags are committed: they
        // go through different sinks, whose transactions commit independently.
        Set<String> sentimentDone = new HashSet<>();
        Set<String> tagsDone = new HashSet<>();
        // With the sentence stage on, a stream is also done once its last sentence is analysed.
        Set<String> sentencesDone = new HashSet<>();
        long lastProgress = System.nanoTime();
        while (!stop.get()) {
          boolean progress = false;
          for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(200))) {
            progress = true;
            SpecificRecord value = decode(topics.get(r.topic()), r.value());
            if (jsonl != null) {
              jsonl.write(
                  "{\"topic\":"
                      + JSON.writeValueAsString(r.topic())
                      + ",\"value\":"
                      + AvroJson.toJson(value)
                      + "}\n");
            }
            if (value instanceof TokenTag) {
              TokenTag t = (TokenTag) value;
              view.tag(t);
              if (lastSeqWithText.getOrDefault(t.getStreamId(), Long.MIN_VALUE) == t.getSeq()) {
                tagsDone.add(t.getStreamId());
              }
            } else if (value instanceof StreamSentiment) {
              StreamSentiment s = (StreamSentiment) value;
              view.sentiment(s);
              if (lastSeqWithText.getOrDefault(s.getStreamId(), Long.MIN_VALUE) == s.getSeq()) {
                sentimentDone.add(s.getStreamId());
              }
            } else if (value instanceof SentenceAnalysis) {
              SentenceAnalysis a = (SentenceAnalysis) value;
              view.sentence(a);
              if (lastSeqWithText.getOrDefault(a.getStreamId(), Long.MIN_VALUE) == a.getLastSeq()) {
                sentencesDone.add(a.getStreamId());
              }
            } else if (value instanceof RejectedRecord) {
              view.deadLetter((RejectedRecord) value);
            }
          }
          if (jsonl != null && progress) {
            jsonl.flush();
          }
          if (progress) {
            lastProgress = System.nanoTime();
          }
          if (conf.get(DemoOptions.EXIT_WHEN_DONE) && feeder.done()) {
            if (sentimentDone.containsAll(lastSeqWithText.keySet())
                && tagsDone.containsAll(lastSeqWithText.keySet())
                && (!sentences || sentencesDone.containsAll(lastSeqWithText.keySet()))) {
              view.flushPending();
              view.info("all " + events.size() + " events fed and their outputs committed; done");
              break;
            }
            if (System.nanoTime() - lastProgress > QUIET_LIMIT.toNanos()) {
              view.flushPending();
              view.info("no new output for " + QUIET_LIMIT.toSeconds() + " s; stopping");
              break;
            }
          }
        }
      } finally {
        stop.set(true);
        feeder.join();
        client.cancel().get(30, TimeUnit.SECONDS);
      }
      if (feeder.failure() != null) {
        throw new IOException("feeding the input topic failed", feeder.failure());
      }
      return 0;
    } finally {
      cleanedUp.countDown();
      try {
        Runtime.getRuntime().removeShutdownHook(hook);
      } catch (IllegalStateException shuttingDown) {
        // the hook is running: it waited for us
      }
    }
  }

  /** Starts the broker; its storage formatter prints to stdout, which is the demo's screen. */
  private static EmbeddedKafka startQuietly(int port) {
    PrintStream screen = System.out;
    System.setOut(new PrintStream(OutputStream.nullOutputStream()));
    try {
      return EmbeddedKafka.builder().port(port).start();
    } finally {
      System.setOut(screen);
    }
  }

  private static Map<String, String> outputTopics(Configuration c) {
    Map<String, String> topics = new HashMap<>();
    topics.put(c.get(KafkaOptions.TAGS_TOPIC), "tags");
    topics.put(c.get(KafkaOptions.SENTIMENT_TOPIC), "sentiment");
    topics.put(c.get(KafkaOptions.SENTENCES_TOPIC), "sentences");
    topics.put(c.get(KafkaOptions.DEAD_LETTER_TOPIC), "dead-letters");
    return topics;
  }

  private static SpecificRecord decode(String kind, byte[] value) throws IOException {
    switch (kind) {
      case "tags":
        return TokenTag.getDecoder().decode(value);
      case "sentiment":
        return StreamSentiment.getDecoder().decode(value);
      case "sentences":
        return SentenceAnalysis.getDecoder().decode(value);
      default:
        return RejectedRecord.getDecoder().decode(value);
    }
  }

  private static KafkaConsumer<byte[], byte[]> consumer(String servers) {
    Properties p = new Properties();
    p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, servers);
    p.put(ConsumerConfig.GROUP_ID_CONFIG, "rillet-demo-view");
    p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
    p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
    return new KafkaConsumer<>(p);
  }

  private static BufferedWriter openJsonl(Configuration conf) throws IOException {
    if (!conf.contains(DemoOptions.SINK_JSONL)) {
      return null;
    }
    return Files.newBufferedWriter(
        Path.of(conf.get(DemoOptions.SINK_JSONL)), StandardCharsets.UTF_8);
  }

  static List<TextEvent> readInput(Path file) throws IOException {
    List<TextEvent> events = TextEventFiles.read(file, "--input");
    if (events.isEmpty()) {
      throw new IllegalArgumentException("--input " + file + ": holds no events");
    }
    return events;
  }

  /** Produces the events to the input topic at a steady rate, on its own thread. */
  private static final class Feeder extends Thread {
    private final String servers;
    private final String topic;
    private final List<TextEvent> events;
    private final double rate;
    private final boolean injectBadRecord;
    private final AtomicBoolean stop;
    private volatile boolean done;
    private volatile Exception failure;

    Feeder(
        String servers,
        String topic,
        List<TextEvent> events,
        double rate,
        boolean injectBadRecord,
        AtomicBoolean stop) {
      super("rillet-demo-feeder");
      setDaemon(true);
      this.servers = servers;
      this.topic = topic;
      this.events = events;
      this.rate = rate;
      this.injectBadRecord = injectBadRecord;
      this.stop = stop;
    }

    boolean done() {
      return done;
    }

    Exception failure() {
      return failure;
    }

    @Override
    public void run() {
      try (KafkaProducer<byte[], byte[]> producer = OrderedProducers.create(servers)) {
        if (injectBadRecord) {
          // Shows the dead-letter path: bytes that are not an Avro TextEvent.
          producer.send(
              new ProducerRecord<>(
                  topic,
                  "broken".getBytes(StandardCharsets.UTF_8),
                  "this is not Avro".getBytes(StandardCharsets.UTF_8)));
        }
        long intervalNanos = (long) (1e9 / rate);
        long next = System.nanoTime();
        for (TextEvent e : events) {
          if (stop.get()) {
            return;
          }
          long wait = next - System.nanoTime();
          if (wait > 0) {
            TimeUnit.NANOSECONDS.sleep(wait); // pacing the feed, not synchronisation
          }
          next += intervalNanos;
          byte[] value = TextEvent.getEncoder().encode(e).array();
          producer.send(
              new ProducerRecord<>(
                  topic,
                  null,
                  e.getEventTime(),
                  e.getStreamId().getBytes(StandardCharsets.UTF_8),
                  value));
        }
        producer.flush();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      } catch (Exception e) {
        failure = e;
      } finally {
        done = true;
      }
    }
  }
}
