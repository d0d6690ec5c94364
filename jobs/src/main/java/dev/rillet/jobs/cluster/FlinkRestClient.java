package dev.rillet.jobs.cluster;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * The part of Flink's REST API that Rillet uses to run jobs on a session cluster: cluster overview,
 * jar upload and run, job state, stop with savepoint, cancel. Every call fails with an {@link
 * IllegalStateException} whose message names the problem; a cluster that does not answer is named
 * with the fix.
 */
public final class FlinkRestClient {
  private static final ObjectMapper JSON = new ObjectMapper();

  private final URI base;
  private final HttpClient http;

  /** A client of the JobManager whose REST endpoint is {@code hostPort} ({@code host:port}). */
  public FlinkRestClient(String hostPort) {
    String address = hostPort.contains("://") ? hostPort : "http://" + hostPort;
    this.base = URI.create(address.endsWith("/") ? address : address + "/");
    this.http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  }

  /** The web UI and REST address, e.g. {@code http://127.0.0.1:8081}. */
  public String address() {
    String s = base.toString();
    return s.substring(0, s.length() - 1);
  }

  /** Slots and TaskManagers of the cluster. */
  public record Overview(int taskManagers, int slotsTotal, int slotsAvailable, String version) {}

  /** {@code GET /overview}. */
  public Overview overview() {
    JsonNode o = get("overview");
    return new Overview(
        o.path("taskmanagers").asInt(),
        o.path("slots-total").asInt(),
        o.path("slots-available").asInt(),
        o.path("flink-version").asText());
  }

  /** One registered TaskManager: its resource id and slots. */
  public record TaskManager(String id, int slots, int freeSlots) {}

  /** {@code GET /taskmanagers}. */
  public List<TaskManager> taskManagers() {
    List<TaskManager> list = new ArrayList<>();
    for (JsonNode t : get("taskmanagers").path("taskmanagers")) {
      list.add(
          new TaskManager(
              t.path("id").asText(), t.path("slotsNumber").asInt(), t.path("freeSlots").asInt()));
    }
    return list;
  }

  /** True when the REST endpoint answers. */
  public boolean isUp() {
    try {
      overview();
      return true;
    } catch (IllegalStateException e) {
      return false;
    }
  }

  /** {@code POST /jars/upload}; returns the jar id to run it by. */
  public String uploadJar(Path jar) throws IOException {
    String boundary = "rillet-" + UUID.randomUUID();
    ByteArrayOutputStream body = new ByteArrayOutputStream();
    body.writeBytes(
        ("--"
                + boundary
                + "\r\nContent-Disposition: form-data; name=\"jarfile\"; filename=\""
                + jar.getFileName()
                + "\"\r\nContent-Type: application/x-java-archive\r\n\r\n")
            .getBytes(StandardCharsets.UTF_8));
    body.writeBytes(Files.readAllBytes(jar));
    body.writeBytes(("\r\n--" + boundary + "--\r\n").getBytes(StandardCharsets.UTF_8));
    JsonNode r =
        send(
            HttpRequest.newBuilder(base.resolve("jars/upload"))
                .header("Content-Type", "multipart/form-data; boundary=" + boundary)
                .POST(HttpRequest.BodyPublishers.ofByteArray(body.toByteArray())));
    String file = r.path("filename").asText();
    return file.substring(file.lastIndexOf('/') + 1);
  }

  /**
   * {@code POST /jars/<id>/run}: runs the jar's {@code entryClass} with {@code args}; returns the
   * job id. The cluster runs {@code main} detached: it returns once the job is submitted.
   *
   * @param savepoint a savepoint or retained checkpoint to restore from, or null
   */
  public String runJar(
      String jarId, String entryClass, int parallelism, List<String> args, String savepoint) {
    ObjectNode request = JSON.createObjectNode();
    request.put("entryClass", entryClass);
    request.put("parallelism", parallelism);
    request.set("programArgsList", JSON.valueToTree(args));
    if (savepoint != null) {
      request.put("savepointPath", savepoint);
      // The cluster never deletes what the user restores from.
      request.put("claimMode", "NO_CLAIM");
      request.put("allowNonRestoredState", false);
    }
    return post("jars/" + jarId + "/run", request).path("jobid").asText();
  }

  /** {@code DELETE /jars/<id>}: the uploaded jar is no longer needed once its job runs. */
  public void deleteJar(String jarId) {
    send(HttpRequest.newBuilder(base.resolve("jars/" + jarId)).DELETE());
  }

  /** The state of a job and of its tasks. */
  public record JobState(String state, int tasks, int tasksRunning) {
    /** True when the job and every one of its tasks are running. */
    public boolean fullyRunning() {
      return state.equals("RUNNING") && tasks > 0 && tasksRunning == tasks;
    }
  }

  /** {@code GET /jobs/<id>}. */
  public JobState job(String jobId) {
    JsonNode j = get("jobs/" + jobId);
    int tasks = 0;
    int running = 0;
    for (JsonNode v : j.path("vertices")) {
      int n = v.path("parallelism").asInt();
      tasks += n;
      running += v.path("tasks").path("RUNNING").asInt();
    }
    return new JobState(j.path("state").asText(), tasks, running);
  }

  /** Ids of the jobs the cluster knows that are not finished, failed or cancelled. */
  public List<String> activeJobs() {
    List<String> ids = new ArrayList<>();
    for (JsonNode j : get("jobs/overview").path("jobs")) {
      String state = j.path("state").asText();
      if (!state.equals("FINISHED") && !state.equals("FAILED") && !state.equals("CANCELED")) {
        ids.add(j.path("jid").asText());
      }
    }
    return ids;
  }

  /** The most recent failure of a job (its root cause first line), or null when it has none. */
  public String latestFailure(String jobId) {
    JsonNode e = get("jobs/" + jobId + "/exceptions");
    JsonNode entries = e.path("exceptionHistory").path("entries");
    String trace =
        entries.size() > 0
            ? entries.get(0).path("stacktrace").asText(null)
            : e.path("root-exception").asText(null);
    return trace == null ? null : rootCause(trace);
  }

  /** Completed checkpoints of a job, and the latest one's external path (null before the first). */
  public record Checkpoints(long completed, long restored, String latestPath) {}

  /** {@code GET /jobs/<id>/checkpoints}. */
  public Checkpoints checkpoints(String jobId) {
    JsonNode c = get("jobs/" + jobId + "/checkpoints");
    JsonNode latest = c.path("latest").path("completed");
    return new Checkpoints(
        c.path("counts").path("completed").asLong(),
        c.path("counts").path("restored").asLong(),
        latest.isMissingNode() || latest.isNull() ? null : latest.path("external_path").asText());
  }

  /**
   * Checkpoint statistics of a job: counts, the latest completed checkpoint's id, full state size
   * and incremental size (bytes; equal without incremental checkpoints), and the longest end-to-end
   * duration of a completed checkpoint.
   *
   * @param triggered checkpoints triggered so far, which with ids counting from 1 and no restore is
   *     also the newest id handed out
   */
  public record CheckpointStats(
      long completed,
      long triggered,
      long latestId,
      long latestStateSize,
      long latestCheckpointedSize,
      long maxDurationMillis) {}

  /** {@code GET /jobs/<id>/checkpoints}, with sizes and durations. */
  public CheckpointStats checkpointStats(String jobId) {
    JsonNode c = get("jobs/" + jobId + "/checkpoints");
    JsonNode latest = c.path("latest").path("completed");
    return new CheckpointStats(
        c.path("counts").path("completed").asLong(),
        c.path("counts").path("total").asLong(),
        latest.path("id").asLong(0),
        latest.path("state_size").asLong(0),
        latest.path("checkpointed_size").asLong(0),
        c.path("summary").path("end_to_end_duration").path("max").asLong(0));
  }

  /**
   * Stops the job with a savepoint ({@code POST /jobs/<id>/stop}) and waits for it; returns the
   * savepoint's path.
   *
   * @param targetDirectory where the savepoint goes, or null for the cluster's savepoint directory
   */
  public String stopWithSavepoint(String jobId, String targetDirectory, Duration timeout)
      throws InterruptedException {
    ObjectNode request = JSON.createObjectNode();
    request.put("drain", false);
    if (targetDirectory != null) {
      request.put("targetDirectory", targetDirectory);
    }
    String trigger = post("jobs/" + jobId + "/stop", request).path("request-id").asText();
    long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < deadline) {
      JsonNode s = get("jobs/" + jobId + "/savepoints/" + trigger);
      if (s.path("status").path("id").asText().equals("COMPLETED")) {
        JsonNode op = s.path("operation");
        if (op.has("failure-cause")) {
          throw new IllegalStateException(
              "stop with savepoint failed: "
                  + rootCause(op.path("failure-cause").path("stack-trace").asText()));
        }
        return op.path("location").asText();
      }
      Thread.sleep(200); // polling the REST API: the savepoint completes asynchronously
    }
    throw new IllegalStateException(
        "the savepoint of job " + jobId + " did not complete within " + timeout);
  }

  /** Cancels the job without a savepoint ({@code PATCH /jobs/<id>?mode=cancel}). */
  public void cancel(String jobId) {
    send(
        HttpRequest.newBuilder(base.resolve("jobs/" + jobId + "?mode=cancel"))
            .method("PATCH", HttpRequest.BodyPublishers.noBody()));
  }

  private JsonNode get(String path) {
    return send(HttpRequest.newBuilder(base.resolve(path)).GET());
  }

  private JsonNode post(String path, JsonNode body) {
    return send(
        HttpRequest.newBuilder(base.resolve(path))
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(body.toString())));
  }

  private JsonNode send(HttpRequest.Builder request) {
    HttpResponse<String> response;
    try {
      response =
          http.send(
              request.timeout(Duration.ofMinutes(2)).build(), HttpResponse.BodyHandlers.ofString());
    } catch (ConnectException e) {
      throw new IllegalStateException(
          "no Flink cluster answers at "
              + address()
              + ": start one with ./rillet cluster start, or give --jobmanager the host:port of"
              + " your JobManager's REST endpoint (rest.address:rest.port)",
          e);
    } catch (IOException e) {
      throw new IllegalStateException("Flink REST call to " + address() + " failed: " + e, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while calling " + address(), e);
    }
    JsonNode body;
    try {
      body = response.body().isEmpty() ? JSON.createObjectNode() : JSON.readTree(response.body());
    } catch (IOException e) {
      throw new IllegalStateException(
          "Flink REST " + request.build().uri() + " answered " + response.statusCode() + ": " + e);
    }
    if (response.statusCode() >= 300) {
      List<String> errors = new ArrayList<>();
      body.path("errors").forEach(err -> errors.add(rootCause(err.asText())));
      throw new IllegalStateException(
          "Flink REST "
              + request.build().method()
              + " "
              + request.build().uri().getPath()
              + " answered "
              + response.statusCode()
              + (errors.isEmpty() ? "" : ": " + String.join("; ", errors)));
    }
    return body;
  }

  /**
   * The innermost "Caused by" of a Java stack trace as text (the first line if there is none): the
   * line that names what went wrong, without the wrappers around it.
   */
  static String rootCause(String trace) {
    String cause = trace.strip().lines().findFirst().orElse("");
    for (String line : trace.lines().toList()) {
      if (line.startsWith("Caused by: ")) {
        cause = line.substring("Caused by: ".length());
      }
    }
    return cause;
  }
}
