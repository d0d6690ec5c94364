package dev.rillet.onnx;

import ai.onnxruntime.NodeInfo;
import ai.onnxruntime.OnnxJavaType;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.TensorInfo;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.flink.annotation.PublicEvolving;

/**
 * A loaded recurrent step model package: manifest, vocabulary and an ONNX Runtime session, checked
 * against each other.
 *
 * <p>The step model contract (see docs/model-packages.md): inputs {@code token_ids} int64 [B,T]
 * (T&nbsp;&ge;&nbsp;1) and the state tensors float32 [L,B,H] (one for gru/rnn, h and c for lstm);
 * outputs tag logits float32 [B,T,C], optional sentiment logits float32 [B,T,S], and the new state
 * tensors [L,B,H] in the same order as the state inputs. B and T are dynamic. The ONNX
 * metadata_props carry {@code rillet.model.id} and {@code rillet.model.version} (equal to the
 * manifest's) and provenance ({@code rillet.model.kind}, {@code rillet.model.cell}, {@code
 * rillet.training.*}).
 *
 * <p>{@link #load} validates, and throws {@link ModelPackageException} naming the mismatch and the
 * fix: every input and output the manifest names exists with the right element type and rank; the
 * graph has no input the manifest does not name; static dims L, H, C and S equal the manifest's
 * layers, hidden and label counts; the metadata id/version (and kind/cell when present) equal the
 * manifest's.
 *
 * <p>Ownership: the package owns its {@link OrtSession} and closes it in {@link #close()}. The
 * {@link OrtEnvironment} and the session options passed to {@link #load} are not owned. The session
 * is thread-safe ({@code OrtSession.run} may be called concurrently); the package itself is
 * immutable apart from closing.
 */
@PublicEvolving
public final class RecurrentModelPackage implements AutoCloseable {
  private final Path dir;
  private final RecurrentModelManifest manifest;
  private final Vocabulary vocabulary;
  private final OrtSession session;
  private final Set<String> outputNames;
  private volatile boolean closed;

  private RecurrentModelPackage(
      Path dir, RecurrentModelManifest manifest, Vocabulary vocabulary, OrtSession session) {
    this.dir = dir;
    this.manifest = manifest;
    this.vocabulary = vocabulary;
    this.session = session;
    Set<String> outs = new LinkedHashSet<>();
    outs.add(manifest.tagLogitsOutput());
    if (manifest.sentimentLogitsOutput() != null) {
      outs.add(manifest.sentimentLogitsOutput());
    }
    outs.addAll(manifest.stateOutputs());
    this.outputNames = Collections.unmodifiableSet(outs);
  }

  /**
   * Loads the package in {@code dir}: reads manifest.json and the vocabulary, creates the session
   * and validates the manifest against the graph.
   *
   * @throws ModelPackageException when anything is missing or does not match
   */
  public static RecurrentModelPackage load(
      Path dir, OrtEnvironment env, OrtSession.SessionOptions options) {
    RecurrentModelManifest manifest = RecurrentModelManifest.read(dir.resolve("manifest.json"));
    Vocabulary vocabulary = manifest.vocabulary().load(dir);
    Path modelPath = dir.resolve(manifest.modelFile());
    if (!Files.isRegularFile(modelPath)) {
      throw new ModelPackageException(
          "model file "
              + modelPath
              + " does not exist: put the package's ONNX file there or fix 'file' in "
              + manifest.file());
    }
    OrtSession session;
    try {
      session = env.createSession(modelPath.toString(), options);
    } catch (OrtException e) {
      throw new ModelPackageException(
          "ONNX Runtime cannot load " + modelPath + ": " + e.getMessage(), e);
    }
    try {
      new Checker(manifest, modelPath, session).check();
    } catch (RuntimeException e) {
      closeQuietly(session, e);
      throw e;
    }
    return new RecurrentModelPackage(dir, manifest, vocabulary, session);
  }

  private static void closeQuietly(OrtSession session, RuntimeException pending) {
    try {
      session.close();
    } catch (OrtException | RuntimeException e) {
      pending.addSuppressed(e);
    }
  }

  /** The package folder. */
  public Path dir() {
    return dir;
  }

  public RecurrentModelManifest manifest() {
    return manifest;
  }

  public String id() {
    return manifest.id();
  }

  public String version() {
    return manifest.version();
  }

  /** {@code id@version}: what the operator stores next to a state to detect a model change. */
  public String modelId() {
    return manifest.id() + "@" + manifest.version();
  }

  public Cell cell() {
    return manifest.cell();
  }

  /** L: recurrent layers, dim 0 of every state tensor. */
  public int layers() {
    return manifest.layers();
  }

  /** H: state size, dim 2 of every state tensor. */
  public int hidden() {
    return manifest.hidden();
  }

  /** Number of state tensors: 2 for lstm (h, c), 1 otherwise. */
  public int stateCount() {
    return manifest.cell().stateCount();
  }

  /** Floats in one stream's state: stateCount * L * H. */
  public int stateSize() {
    return stateCount() * layers() * hidden();
  }

  public List<String> tagLabels() {
    return manifest.tagLabels();
  }

  /** Sentiment labels in logit order; empty when {@link #hasSentiment()} is false. */
  public List<String> sentimentLabels() {
    return manifest.sentimentLabels();
  }

  public boolean hasSentiment() {
    return manifest.sentimentLogitsOutput() != null;
  }

  public Vocabulary vocabulary() {
    return vocabulary;
  }

  /** The session; owned by this package, do not close it. */
  public OrtSession session() {
    return session;
  }

  public String tokenIdsInput() {
    return manifest.tokenIdsInput();
  }

  public List<String> stateInputs() {
    return manifest.stateInputs();
  }

  public String tagLogitsOutput() {
    return manifest.tagLogitsOutput();
  }

  /** The sentiment logits output name, or null when the model has none. */
  public String sentimentLogitsOutput() {
    return manifest.sentimentLogitsOutput();
  }

  public List<String> stateOutputs() {
    return manifest.stateOutputs();
  }

  /** The outputs to request from {@code session.run}: tags, sentiment (if any), states. */
  public Set<String> outputNames() {
    return outputNames;
  }

  public boolean isClosed() {
    return closed;
  }

  /** Closes the session. Idempotent. */
  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    try {
      session.close();
    } catch (OrtException e) {
      throw new ModelPackageException("closing the session of " + dir + " failed: " + e, e);
    }
  }

  @Override
  public String toString() {
    return "RecurrentModelPackage[" + modelId() + ", " + cell().manifestName() + ", " + dir + "]";
  }

  /** Checks a manifest against the session's graph. */
  private static final class Checker {
    private final String fix;
    private final RecurrentModelManifest m;
    private final Path modelPath;
    private final OrtSession session;
    private final String manifestName;
    private final String modelName;

    Checker(RecurrentModelManifest m, Path modelPath, OrtSession session) {
      this.m = m;
      this.modelPath = modelPath;
      this.session = session;
      this.manifestName = m.file().toString();
      this.modelName = m.modelFile();
      this.fix =
          "regenerate the package or fix the manifest (package " + modelPath.getParent() + ")";
    }

    void check() {
      Map<String, NodeInfo> inputs;
      Map<String, NodeInfo> outputs;
      Map<String, String> metadata;
      try {
        inputs = session.getInputInfo();
        outputs = session.getOutputInfo();
        metadata = session.getMetadata().getCustomMetadata();
      } catch (OrtException e) {
        throw new ModelPackageException("cannot inspect " + modelPath + ": " + e.getMessage(), e);
      }
      long[] ids =
          tensor(inputs, "input", "inputs.tokenIds", m.tokenIdsInput(), OnnxJavaType.INT64);
      rank(ids, "input", m.tokenIdsInput(), 2, "[B,T]");
      for (int i = 0; i < m.stateInputs().size(); i++) {
        state(inputs, "input", "inputs.states", m.stateInputs().get(i));
        state(outputs, "output", "outputs.states", m.stateOutputs().get(i));
      }
      for (String name : inputs.keySet()) {
        if (!name.equals(m.tokenIdsInput()) && !m.stateInputs().contains(name)) {
          throw new ModelPackageException(
              modelPath
                  + " has input '"
                  + name
                  + "' that "
                  + manifestName
                  + " does not name (inputs.tokenIds="
                  + m.tokenIdsInput()
                  + ", inputs.states="
                  + m.stateInputs()
                  + ", cell="
                  + m.cell().manifestName()
                  + "): "
                  + fix);
        }
      }
      long[] tags =
          tensor(outputs, "output", "outputs.tagLogits", m.tagLogitsOutput(), OnnxJavaType.FLOAT);
      rank(tags, "output", m.tagLogitsOutput(), 3, "[B,T,C]");
      dim(tags, 2, "output", m.tagLogitsOutput(), "C", "tagLabels has", m.tagLabels().size());
      if (m.sentimentLogitsOutput() != null) {
        long[] s =
            tensor(
                outputs,
                "output",
                "outputs.sentimentLogits",
                m.sentimentLogitsOutput(),
                OnnxJavaType.FLOAT);
        rank(s, "output", m.sentimentLogitsOutput(), 3, "[B,T,S]");
        dim(
            s,
            2,
            "output",
            m.sentimentLogitsOutput(),
            "S",
            "sentimentLabels has",
            m.sentimentLabels().size());
      }
      metadata(metadata, "rillet.model.id", m.id(), "id", true);
      metadata(metadata, "rillet.model.version", m.version(), "version", true);
      metadata(metadata, "rillet.model.kind", "recurrent", "kind", false);
      metadata(metadata, "rillet.model.cell", m.cell().manifestName(), "cell", false);
    }

    private void state(Map<String, NodeInfo> infos, String io, String field, String name) {
      long[] shape = tensor(infos, io, field, name, OnnxJavaType.FLOAT);
      rank(shape, io, name, 3, "[L,B,H]");
      dim(shape, 0, io, name, "L", "layers=", m.layers());
      dim(shape, 2, io, name, "H", "hidden=", m.hidden());
    }

    private long[] tensor(
        Map<String, NodeInfo> infos, String io, String field, String name, OnnxJavaType type) {
      NodeInfo info = infos.get(name);
      if (info == null) {
        throw new ModelPackageException(
            manifestName
                + " says "
                + field
                + " has '"
                + name
                + "' but "
                + modelName
                + " has no "
                + io
                + " of that name (its "
                + io
                + "s: "
                + infos.keySet()
                + "): "
                + fix);
      }
      if (!(info.getInfo() instanceof TensorInfo)) {
        throw new ModelPackageException(
            modelName + " " + io + " '" + name + "' is not a tensor: " + fix);
      }
      TensorInfo t = (TensorInfo) info.getInfo();
      if (t.type != type) {
        throw new ModelPackageException(
            modelName
                + " "
                + io
                + " '"
                + name
                + "' has element type "
                + t.type
                + " but the step model contract needs "
                + type
                + ": "
                + fix);
      }
      return t.getShape();
    }

    private void rank(long[] shape, String io, String name, int rank, String expected) {
      if (shape.length != rank) {
        throw new ModelPackageException(
            modelName
                + " "
                + io
                + " '"
                + name
                + "' has shape "
                + Arrays.toString(shape)
                + " but the step model contract needs rank "
                + rank
                + " "
                + expected
                + ": "
                + fix);
      }
    }

    /** A static dim must equal the manifest's value; a dynamic dim (-1) cannot be checked. */
    private void dim(
        long[] shape, int axis, String io, String name, String dimName, String says, int expected) {
      long actual = shape[axis];
      if (actual >= 0 && actual != expected) {
        throw new ModelPackageException(
            "manifest.json says "
                + says
                + (says.endsWith("=") ? "" : " ")
                + expected
                + (says.endsWith("=") ? "" : " labels")
                + " but "
                + modelName
                + " "
                + io
                + " '"
                + name
                + "' has "
                + dimName
                + "="
                + actual
                + " (shape "
                + Arrays.toString(shape)
                + "): "
                + fix);
      }
    }

    private void metadata(
        Map<String, String> metadata, String key, String expected, String field, boolean required) {
      String actual = metadata.get(key);
      if (actual == null) {
        if (required) {
          throw new ModelPackageException(
              modelPath
                  + " has no metadata_props entry '"
                  + key
                  + "': export the model with the recipe in training/ (it writes "
                  + key
                  + "="
                  + expected
                  + ")");
        }
        return;
      }
      if (!actual.equals(expected)) {
        throw new ModelPackageException(
            "manifest.json says "
                + field
                + "="
                + expected
                + " but "
                + modelName
                + " metadata "
                + key
                + "="
                + actual
                + ": the manifest does not belong to this model; "
                + fix);
      }
    }
  }
}
