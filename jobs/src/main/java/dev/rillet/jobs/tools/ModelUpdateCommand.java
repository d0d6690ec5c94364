package dev.rillet.jobs.tools;

import dev.rillet.avro.ModelUpdate;
import dev.rillet.avro.ModelUpdatePolicy;
import dev.rillet.jobs.cli.Command;
import dev.rillet.jobs.cli.CommandLine;
import dev.rillet.jobs.pipeline.ModelLocator;
import dev.rillet.kafka.KafkaOptions;
import dev.rillet.kafka.ModelUpdates;
import dev.rillet.kafka.OrderedProducers;
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
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;

/**
 * {@code rillet model-update}: checks a model package here, as the job would (manifest against the
 * ONNX graph, vocabulary), and writes one {@link ModelUpdate} to the model-control topic, so that
 * running jobs switch to it (see docs/operations.md, "Swapping models in a running job"). The topic
 * is created with one partition when missing: updates must keep their order.
 */
public final class ModelUpdateCommand implements Command {
  static final ConfigOption<String> MODEL =
      ConfigOptions.key("model")
          .stringType()
          .noDefaultValue()
          .withDescription(
              "The new model package folder (manifest.json, model.onnx, vocab.txt). It must be"
                  + " readable at the same absolute path by every TaskManager of the job.");

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
                  + " or it refuses the update).");

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
  public CommandLine commandLine() {
    return new CommandLine(
        name(), summary(), List.of(MODEL, POLICY, TOPIC, ToolOptions.BOOTSTRAP_SERVERS));
  }

  @Override
  public int run(Configuration conf) throws Exception {
    ModelUpdatePolicy policy = policy(conf.get(POLICY));
    // The job runs the same checks; failing here spares it a refused update.
    ModelLocator.CheckedModel model =
        ModelLocator.resolveAndCheck(ToolOptions.required(conf, MODEL));
    ModelUpdate update =
        ModelUpdate.newBuilder()
            .setUpdateId(UUID.randomUUID().toString())
            .setCreatedAt(System.currentTimeMillis())
            .setModelId(model.modelId())
            .setPackageDir(model.dir().toAbsolutePath().toString())
            .setPolicy(policy)
            .build();
    String servers = conf.get(ToolOptions.BOOTSTRAP_SERVERS);
    String topic = ToolOptions.required(conf, TOPIC);
    ensureTopic(servers, topic);
    RecordMetadata written;
    try (KafkaProducer<byte[], byte[]> producer = OrderedProducers.create(servers)) {
      written =
          producer
              .send(
                  new ProducerRecord<>(
                      topic, null, update.getCreatedAt(), null, ModelUpdates.encode(update)))
              .get(30, TimeUnit.SECONDS);
    }
    System.out.println(
        "rillet model-update: wrote update "
            + update.getUpdateId()
            + " to "
            + topic
            + " (offset "
            + written.offset()
            + "): model "
            + model.modelId()
            + " from "
            + update.getPackageDir()
            + ", policy "
            + policy
            + ". A running job logs 'Model update "
            + update.getUpdateId()
            + " applied' (or 'refused', with the reason) per tagger subtask.");
    if (model.notice() != null) {
      System.out.println("rillet model-update: note: " + model.notice());
    }
    return 0;
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
  private static void ensureTopic(String servers, String topic) throws Exception {
    Properties p = new Properties();
    p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, servers);
    try (Admin admin = Admin.create(p)) {
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
        System.err.println(
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
