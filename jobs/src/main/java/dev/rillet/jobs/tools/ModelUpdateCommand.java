package dev.rillet.jobs.tools;

import dev.rillet.avro.ModelUpdate;
import dev.rillet.avro.ModelUpdatePolicy;
import dev.rillet.avro.ModelUpdateTarget;
import dev.rillet.elmo.runtime.ElmoHeads;
import dev.rillet.elmo.runtime.ElmoModel;
import dev.rillet.elmo.runtime.ElmoSource;
import dev.rillet.elmo.runtime.SentimentHead;
import dev.rillet.jobs.cli.Command;
import dev.rillet.jobs.cli.CommandContext;
import dev.rillet.jobs.pipeline.ModelLocator;
import dev.rillet.jobs.pipeline.SentenceStage;
import dev.rillet.kafka.KafkaClientConfig;
import dev.rillet.kafka.KafkaOptions;
import dev.rillet.kafka.ModelUpdates;
import dev.rillet.kafka.OrderedProducers;
import dev.rillet.onnx.ModelPackageException;
import dev.rillet.onnx.OrtSettings;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.configuration.ConfigOptions;
import org.apache.flink.configuration.Configuration;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;

/**
 * {@code rillet model-update}: checks a model package here, as the job would (manifest against the
 * ONNX graph, vocabulary), and writes one {@link ModelUpdate} to the model-control topic, so that
 * running jobs switch to it (see docs/operations.md, "Swapping models in a running job"). {@code
 * --model} targets the recurrent tagger; {@code --elmo-heads} (with {@code --elmo} for another
 * biLM) the sentence stage's ELMo pair. The topic is created with one partition when missing:
 * updates must keep their order.
 */
public final class ModelUpdateCommand implements Command {
  static final ConfigOption<String> MODEL =
      ConfigOptions.key("model")
          .stringType()
          .noDefaultValue()
          .withDescription(
              "The tagger's new model package folder (manifest.json, model.onnx, vocab.txt). It"
                  + " must be readable at the same absolute path by every TaskManager of the job."
                  + " Give either --model or --elmo-heads.");

  static final ConfigOption<String> ELMO_HEADS =
      ConfigOptions.key("elmo-heads")
          .stringType()
          .noDefaultValue()
          .withDescription(
              "The sentence stage's new ELMo heads package folder (as the live job's"
                  + " --elmo-heads). Swaps the ELMo pair instead of the tagger's model: sentences"
                  + " that close after the update are analysed by the new pair, a stateful ELMo's"
                  + " per-stream LSTM states restart from zero (only --policy reset applies)."
                  + " Readable at the same absolute path by every TaskManager.");

  static final ConfigOption<String> ELMO =
      ConfigOptions.key("elmo")
          .stringType()
          .noDefaultValue()
          .withDescription(
              "With --elmo-heads: the new biLM, an .onnx file or a folder with options.json and"
                  + " one .hdf5 weights file (as the live job's --elmo). The heads must fit it."
                  + " Not set: the job keeps the biLM that serves, and the heads must fit that"
                  + " (this command cannot see it; the job checks).");

  static final ConfigOption<String> POLICY =
      ConfigOptions.key("policy")
          .stringType()
          .defaultValue("reset")
          .withDescription(
              "What happens to running streams. reset: each moves to the new model at its next"
                  + " event, from a zero state (its tags then lack the context before it). drain:"
                  + " each keeps its model until it ends or expires; new streams use the new"
                  + " model. replay: as reset, but each stream's state is first rebuilt on the"
                  + " new model from its last tokens (the job must run with --replay-tokens N,"
                  + " or it refuses the update). The tagger's only: an --elmo-heads update is"
                  + " always reset.");

  static final ConfigOption<String> TOPIC =
      ConfigOptions.key("topic")
          .stringType()
          .defaultValue("rillet.model-updates")
          .withDescription(
              "The model-control topic: the live job's --"
                  + KafkaOptions.MODEL_UPDATES_TOPIC.key()
                  + ", which the job must have been started with.");

  @Override
  public String name() {
    return "model-update";
  }

  @Override
  public String summary() {
    return "Check a model package and tell running jobs to switch to it.";
  }

  @Override
  public List<ConfigOption<?>> options() {
    return List.of(
        MODEL,
        ELMO_HEADS,
        ELMO,
        POLICY,
        TOPIC,
        ToolOptions.BOOTSTRAP_SERVERS,
        KafkaOptions.CLIENT_CONFIG);
  }

  @Override
  public int run(CommandContext context, Configuration conf) throws Exception {
    ModelUpdatePolicy policy = policy(conf.get(POLICY));
    boolean tagger = conf.get(MODEL) != null;
    boolean elmo = conf.get(ELMO_HEADS) != null;
    if (tagger == elmo) {
      throw new IllegalArgumentException(
          tagger
              ? "--model and --elmo-heads go one at a time: one update swaps the tagger's model"
                  + " (--model) or the sentence stage's ELMo pair (--elmo-heads [--elmo])"
              : "--model is required (or --elmo-heads, to swap the sentence stage's ELMo pair)");
    }
    if (tagger && conf.get(ELMO) != null) {
      throw new IllegalArgumentException(
          "--elmo goes with --elmo-heads (it names the biLM of an ELMo pair), not with --model");
    }
    // The job runs the same checks; failing here spares it a refused update.
    ModelUpdate update;
    String what;
    String notice;
    if (tagger) {
      ModelLocator.CheckedModel model =
          ModelLocator.resolveAndCheck(context.modelRoot(), ToolOptions.required(conf, MODEL));
      update =
          ModelUpdate.newBuilder()
              .setUpdateId(UUID.randomUUID().toString())
              .setCreatedAt(System.currentTimeMillis())
              .setModelId(model.modelId())
              .setPackageDir(model.dir().toAbsolutePath().toString())
              .setPolicy(policy)
              .build();
      what = "model " + model.modelId() + " from " + update.getPackageDir() + ", policy " + policy;
      notice = model.notice();
    } else {
      if (policy != ModelUpdatePolicy.RESET) {
        throw new IllegalArgumentException(
            "--policy "
                + conf.get(POLICY)
                + ": an ELMo update (--elmo-heads) is always reset: sentences that close after"
                + " it are analysed by the new pair and a stateful ELMo's LSTM states restart"
                + " from zero; drain and replay are the tagger's (--model)");
      }
      ElmoCheck pair = checkElmo(context.modelRoot(), conf.get(ELMO_HEADS), conf.get(ELMO));
      update =
          ModelUpdate.newBuilder()
              .setUpdateId(UUID.randomUUID().toString())
              .setCreatedAt(System.currentTimeMillis())
              .setModelId(pair.headsId())
              .setPackageDir(pair.heads().toString())
              .setPolicy(ModelUpdatePolicy.RESET)
              .setTarget(ModelUpdateTarget.ELMO)
              .setElmoSource(pair.elmo() == null ? null : pair.elmo().toString())
              .build();
      what =
          "ELMo heads "
              + pair.headsId()
              + " from "
              + pair.heads()
              + (pair.elmo() == null
                  ? " on the biLM that serves"
                  : " with biLM " + pair.elmoName() + " from " + pair.elmo());
      notice =
          pair.elmo() == null
              ? "the heads were checked alone; the job checks they fit its biLM and refuses the"
                  + " update (logged, the old pair serves on) if not"
              : null;
    }
    String servers = conf.get(ToolOptions.BOOTSTRAP_SERVERS);
    String topic = ToolOptions.required(conf, TOPIC);
    KafkaClientConfig clients = KafkaClientConfig.from(conf);
    ensureTopic(clients.properties(KafkaClientConfig.Client.ADMIN, servers), topic, context.err());
    RecordMetadata written;
    try (KafkaProducer<byte[], byte[]> producer =
        OrderedProducers.create(OrderedProducers.properties(servers, clients))) {
      written =
          producer
              .send(
                  new ProducerRecord<>(
                      topic, null, update.getCreatedAt(), null, ModelUpdates.encode(update)))
              .get(30, TimeUnit.SECONDS);
    }
    context
        .out()
        .println(
            "rillet model-update: wrote update "
                + update.getUpdateId()
                + " to "
                + topic
                + " (offset "
                + written.offset()
                + "): "
                + what
                + ". A running job logs 'Model update "
                + update.getUpdateId()
                + " applied' (or 'refused', with the reason) per "
                + (tagger ? "tagger" : "sentence-elmo")
                + " subtask.");
    if (notice != null) {
      context.out().println("rillet model-update: note: " + notice);
    }
    return 0;
  }

  /** An ELMo pair as checked here: the heads folder and id, the biLM (null: unchanged). */
  record ElmoCheck(Path heads, String headsId, Path elmo, String elmoName) {}

  /**
   * Loads the heads (and the biLM, when given) as the job would and checks they fit ({@link
   * ElmoHeads#requireCompatible}); relative names are looked up under {@code root}.
   *
   * @throws IllegalArgumentException naming the flag and the problem
   */
  static ElmoCheck checkElmo(Path root, String headsName, String elmoName) {
    Path heads =
        SentenceStage.find(root, headsName)
            .orElseThrow(
                () ->
                    new IllegalArgumentException("--elmo-heads " + headsName + ": no such folder"));
    Path elmoPath = null;
    ElmoSource source = null;
    if (elmoName != null) {
      elmoPath =
          SentenceStage.find(root, elmoName)
              .orElseThrow(
                  () -> new IllegalArgumentException("--elmo " + elmoName + ": not found"));
      try {
        source = ElmoSource.resolve(elmoPath);
      } catch (RuntimeException e) {
        throw new IllegalArgumentException("--elmo " + elmoName + ": " + e.getMessage(), e);
      }
    }
    OrtSettings settings = OrtSettings.of(1);
    ElmoHeads loaded;
    try {
      loaded = ElmoHeads.load(heads, settings, SentimentHead.SST2);
    } catch (RuntimeException e) {
      throw new IllegalArgumentException("--elmo-heads " + headsName + ": " + e.getMessage(), e);
    }
    try (ElmoHeads h = loaded) {
      if (source != null) {
        // An ONNX biLM is stateful or not as converted: load it as it is.
        try (ElmoModel model =
            source.onnxPath() != null
                ? ElmoModel.builder().onnx(Path.of(source.onnxPath())).ortSettings(settings).build()
                : source.open(false, settings)) {
          h.requireCompatible(model.layers(), model.dim(), source.name(), source.weightsSha256());
        } catch (ModelPackageException e) {
          throw new IllegalArgumentException(
              "--elmo-heads " + headsName + " on --elmo " + elmoName + ": " + e.getMessage(), e);
        } catch (IOException | RuntimeException e) {
          throw new IllegalArgumentException("--elmo " + elmoName + ": " + e.getMessage(), e);
        }
      }
      return new ElmoCheck(heads, h.id(), elmoPath, source == null ? null : source.name());
    } catch (IllegalArgumentException e) {
      throw e;
    } catch (Exception e) {
      throw new IllegalArgumentException("--elmo-heads " + headsName + ": " + e.getMessage(), e);
    }
  }

  static ModelUpdatePolicy policy(String value) {
    ModelUpdatePolicy policy;
    try {
      policy = ModelUpdatePolicy.valueOf(value.trim().toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("--policy " + value + ": expected reset, drain or replay");
    }
    return policy;
  }

  /** Creates the topic with one partition when missing; warns when it has several. */
  private static void ensureTopic(Properties adminProperties, String topic, PrintStream err)
      throws Exception {
    try (Admin admin = Admin.create(adminProperties)) {
      if (!admin.listTopics().names().get(30, TimeUnit.SECONDS).contains(topic)) {
        try {
          admin
              .createTopics(
                  List.of(
                      new NewTopic(topic, java.util.Optional.of(1), java.util.Optional.empty())))
              .all()
              .get(30, TimeUnit.SECONDS);
        } catch (java.util.concurrent.ExecutionException e) {
          if (!(e.getCause() instanceof org.apache.kafka.common.errors.TopicExistsException)) {
            throw e;
          }
        }
        return;
      }
      Map<String, TopicDescription> d =
          admin.describeTopics(List.of(topic)).allTopicNames().get(30, TimeUnit.SECONDS);
      int partitions = d.get(topic).partitions().size();
      if (partitions > 1) {
        err.println(
            "rillet model-update: warning: "
                + topic
                + " has "
                + partitions
                + " partitions; updates keep their order only within one. Use a topic with one"
                + " partition for model updates.");
      }
    }
  }
}
