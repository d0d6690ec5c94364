package dev.rillet.elmo.runtime;

import ai.onnxruntime.NodeInfo;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.TensorInfo;
import dev.rillet.onnx.Logits;
import dev.rillet.onnx.ModelPackageException;
import dev.rillet.onnx.OrtSettings;
import dev.rillet.onnx.Vocabulary;
import dev.rillet.onnx.VocabularySection;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.flink.annotation.PublicEvolving;

/**
 * ELMo task heads: an ONNX model over the biLM's layer activations that gives per-token tag logits
 * and sentence sentiment logits (each with its own learned scalar mix inside), loaded from a
 * package folder.
 *
 * <p>Package: {@code manifest.json} ({@code id}, {@code version}, {@code kind: "elmo-heads"},
 * {@code file}, {@code layers} = L+1, {@code dim} = 2P, {@code tagLabels}, {@code sentimentLabels},
 * optional {@code sentiment5Labels}, optional {@code bilm} provenance) and the ONNX file. Graph
 * contract: inputs {@code layers} float32 {@code [L+1, B, T, 2P]} (markers removed, padded
 * positions zero) and {@code mask} float32 {@code [B, T]} (1 real, 0 padding); outputs {@code
 * tag_logits} {@code [B, T, C]}, {@code sentiment_logits} {@code [B, S]} and, with {@code
 * sentiment5Labels}, {@code sentiment5_logits} {@code [B, 5]}. The manifest is read by {@link
 * ElmoHeadsManifest} (through {@link dev.rillet.onnx.ManifestFields}, as every package kind's).
 *
 * <p>Word vectors (optional): a package whose manifest has a {@code vocabulary} section (the format
 * of recurrent packages, {@link VocabularySection}) has its own trained word vectors, joined to the
 * mixed layers as in the ELMo paper; its graph takes a third input {@code token_ids} int64 {@code
 * [B, T]} (the vocabulary's ids of the sentence's tokens, padding id at padded positions), which
 * {@link #run} fills from the tokens it is given. A loaded instance serves one sentiment head
 * ({@link SentimentHead}, binary by default): {@link #sentimentLabels()} and the sentiment {@link
 * #run} gives are that head's. The loader checks the manifest against the graph and against the
 * biLM it is used with, and fails with a message naming the mismatch.
 *
 * <p>Ownership: owns its session and closes it in {@link #close()}; the environment is the
 * process-wide one. {@link #run} reuses its input buffers, so calls are serialised.
 */
@PublicEvolving
public final class ElmoHeads implements AutoCloseable {
  static final String LAYERS_INPUT = "layers";
  static final String MASK_INPUT = "mask";
  static final String TAG_OUTPUT = "tag_logits";
  static final String TOKEN_IDS_INPUT = "token_ids";

  private static final float[] ZEROS = new float[4096];

  private final Path dir;
  private final String id;
  private final int layers;
  private final int dim;
  private final List<String> tagLabels;
  private final SentimentHead sentimentHead;
  private final List<String> sentimentLabels;
  private final List<String> sentiment2Labels;
  private final List<String> sentiment5Labels;
  private final float[] tagScalarMix;
  // The manifest's bilm section: the biLM the heads were trained on (digest null when absent).
  private final String bilmId;
  private final String bilmSha256;
  private final Vocabulary vocabulary;
  private final OrtSession.SessionOptions options;
  private final OrtSession session;

  private FloatBuffer layerBuffer;
  private FloatBuffer maskBuffer;
  private LongBuffer idBuffer;

  private ElmoHeads(Path dir, ElmoHeadsManifest m, OrtSettings settings, SentimentHead head) {
    this.dir = dir;
    this.id = m.id;
    this.layers = m.layers;
    this.dim = m.dim;
    this.tagLabels = m.tagLabels;
    this.sentimentHead = head;
    this.sentiment2Labels = m.sentiment2Labels;
    this.sentiment5Labels = m.sentiment5Labels;
    if (head == SentimentHead.SST5 && sentiment5Labels.isEmpty()) {
      throw fail(
          "manifest.json lists no sentiment5Labels, so this package has no 5-class (SST-5)"
              + " sentiment head; use the binary head (--elmo-sentiment sst2) or heads trained"
              + " with SST-5");
    }
    this.sentimentLabels = head == SentimentHead.SST5 ? sentiment5Labels : sentiment2Labels;
    this.tagScalarMix = m.tagScalarMix;
    this.bilmId = m.bilmId;
    this.bilmSha256 = m.bilmSha256;
    this.vocabulary = m.vocabulary == null ? null : m.vocabulary.load(dir);
    Path file = dir.resolve(m.file);
    if (!Files.isRegularFile(file)) {
      throw fail("the model file " + file + " named by \"file\" does not exist");
    }
    OrtSession.SessionOptions o = new OrtSession.SessionOptions();
    OrtSession s = null;
    try {
      settings.configure(o);
      s = OrtEnvironment.getEnvironment().createSession(file.toString(), o);
      check(s);
    } catch (OrtException e) {
      closeQuietly(s, o);
      throw fail("ONNX Runtime cannot load " + file + ": " + e.getMessage());
    } catch (RuntimeException e) {
      closeQuietly(s, o);
      throw e;
    }
    this.options = o;
    this.session = s;
  }

  /**
   * Loads the heads package in {@code dir}.
   *
   * @throws ModelPackageException when the manifest or graph is missing, invalid or inconsistent
   */
  public static ElmoHeads load(Path dir, int intraOpThreads) {
    return load(dir, intraOpThreads, SentimentHead.SST2);
  }

  /**
   * Loads the heads package in {@code dir}, serving the given sentiment head.
   *
   * @throws ModelPackageException when the manifest or graph is missing, invalid or inconsistent,
   *     or the package lacks {@code head} (its labels or its graph output); the message names it
   * @throws IllegalArgumentException when intraOpThreads &lt; 1
   */
  public static ElmoHeads load(Path dir, int intraOpThreads, SentimentHead head) {
    return load(dir, OrtSettings.of(intraOpThreads), head);
  }

  /**
   * As {@link #load(Path, int, SentimentHead)}, with the session made with {@code settings}.
   *
   * @throws ModelPackageException as there
   */
  public static ElmoHeads load(Path dir, OrtSettings settings, SentimentHead head) {
    return new ElmoHeads(dir, ElmoHeadsManifest.read(dir), settings, head);
  }

  /** id@version, for provenance. */
  public String id() {
    return id;
  }

  /** True when the package has its own word vectors (and so reads the tokens, not only layers). */
  public boolean hasWordVectors() {
    return vocabulary != null;
  }

  /** The word-vector vocabulary, or null for a package without word vectors. */
  Vocabulary vocabulary() {
    return vocabulary;
  }

  /** L+1 layers the heads expect. */
  public int layers() {
    return layers;
  }

  /** 2P: width of the layer vectors the heads expect. */
  public int dim() {
    return dim;
  }

  public List<String> tagLabels() {
    return tagLabels;
  }

  /** The labels of the sentiment head this instance serves, in logit order (may be empty). */
  public List<String> sentimentLabels() {
    return sentimentLabels;
  }

  /** The sentiment head this instance serves. */
  public SentimentHead sentimentHead() {
    return sentimentHead;
  }

  /**
   * True when the package has the 5-class head (manifest {@code sentiment5Labels} and graph output
   * {@code sentiment5_logits}), whichever head this instance serves.
   */
  public boolean hasSentiment5() {
    return !sentiment5Labels.isEmpty();
  }

  /**
   * The tag head's scalar mix as per-layer factors {@code gamma * softmax(w)_k} (from the
   * manifest's optional {@code tagScalarMix: {weights, gamma}}), for scalar-mixed embeddings.
   *
   * @throws ModelPackageException when the manifest does not record it
   */
  public float[] tagScalarMix() {
    if (tagScalarMix == null) {
      throw fail(
          "manifest.json records no tagScalarMix, so scalar-mixed embeddings are not available;"
              + " use embeddings ALL or OFF, or regenerate the heads package");
    }
    return tagScalarMix.clone();
  }

  /** True when {@link #tagScalarMix()} is available. */
  public boolean hasTagScalarMix() {
    return tagScalarMix != null;
  }

  /**
   * Checks that these heads can run on the given biLM: the same number and width of layers and,
   * when both are known, the weights the heads were trained on (the manifest's {@code
   * bilm.weightsSha256}). Heads on another biLM of the same shape run without error but give wrong
   * answers, so that is refused too.
   *
   * @param weightsSha256 the biLM's weights digest ({@link ElmoSource#weightsSha256()}); empty when
   *     unknown (an ONNX biLM), which skips that check
   * @throws ModelPackageException naming the mismatch and the fix
   */
  public void requireCompatible(
      int layers, int dim, String elmoName, Optional<String> weightsSha256) {
    if (layers != this.layers || dim != this.dim) {
      throw fail(
          "the heads expect "
              + this.layers
              + " layers of width "
              + this.dim
              + " but the ELMo model "
              + elmoName
              + " gives "
              + layers
              + " of width "
              + dim
              + ": use the heads trained on that biLM");
    }
    if (bilmSha256 != null
        && weightsSha256.isPresent()
        && !bilmSha256.equalsIgnoreCase(weightsSha256.get())) {
      throw fail(
          "the heads were trained on the biLM "
              + bilmId
              + " (weights sha256 "
              + bilmSha256
              + ") but the ELMo model "
              + elmoName
              + " has weights sha256 "
              + weightsSha256.get()
              + ": use the heads trained on that biLM, or train heads on it with"
              + " training/train_elmo_heads.py --bilm <its folder>");
    }
  }

  /**
   * Runs the heads over a batch of sentences' activations.
   *
   * @param words the sentences' tokens, one list per sentence, as long as its activations (read
   *     only when {@link #hasWordVectors()})
   * @param sentences the activations, one per sentence (each at least one token)
   * @param tags receives, per sentence and token, the tag index and its probability
   */
  public synchronized void run(
      List<? extends List<String>> words,
      List<ElmoLayers> sentences,
      int[][] tags,
      float[][] tagProbabilities,
      float[][] sentiment)
      throws OrtException {
    if (words.size() != sentences.size()) {
      throw new IllegalArgumentException(
          words.size() + " token lists for " + sentences.size() + " sentences' activations");
    }
    int b = sentences.size();
    int t = 0;
    for (ElmoLayers s : sentences) {
      t = Math.max(t, s.tokens());
    }
    int size = layers * b * t * dim;
    layerBuffer = ensure(layerBuffer, size);
    maskBuffer = ensure(maskBuffer, b * t);
    FloatBuffer lb = layerBuffer;
    FloatBuffer mb = maskBuffer;
    for (int row = 0; row < b; row++) {
      ElmoLayers s = sentences.get(row);
      float[] data = s.data();
      int n = s.tokens();
      for (int k = 0; k < layers; k++) {
        int at = ((k * b + row) * t) * dim;
        lb.put(at, data, s.offset(k, 0), n * dim);
        // Padding must be zero (the contract); the buffer is reused, so clear it explicitly.
        for (int i = at + n * dim, end = at + t * dim; i < end; i += ZEROS.length) {
          lb.put(i, ZEROS, 0, Math.min(ZEROS.length, end - i));
        }
      }
      for (int j = 0; j < t; j++) {
        mb.put(row * t + j, j < n ? 1f : 0f);
      }
    }
    OrtEnvironment env = OrtEnvironment.getEnvironment();
    try (OnnxTensor layerTensor =
            OnnxTensor.createTensor(env, lb.slice(0, size), new long[] {layers, b, t, dim});
        OnnxTensor maskTensor =
            OnnxTensor.createTensor(env, mb.slice(0, b * t), new long[] {b, t});
        OnnxTensor idTensor = vocabulary == null ? null : tokenIds(env, words, sentences, t);
        OrtSession.Result result =
            session.run(
                idTensor == null
                    ? Map.of(LAYERS_INPUT, layerTensor, MASK_INPUT, maskTensor)
                    : Map.of(
                        LAYERS_INPUT,
                        layerTensor,
                        MASK_INPUT,
                        maskTensor,
                        TOKEN_IDS_INPUT,
                        idTensor))) {
      FloatBuffer tagLogits = ((OnnxTensor) result.get(TAG_OUTPUT).orElseThrow()).getFloatBuffer();
      int c = tagLabels.size();
      for (int row = 0; row < b; row++) {
        int n = sentences.get(row).tokens();
        tags[row] = new int[n];
        tagProbabilities[row] = new float[n];
        for (int j = 0; j < n; j++) {
          tags[row][j] = Logits.argmax(tagLogits, (row * t + j) * c, c, tagProbabilities[row], j);
        }
      }
      int s = sentimentLabels.size();
      FloatBuffer sentimentLogits =
          s == 0
              ? null
              : ((OnnxTensor) result.get(sentimentHead.output()).orElseThrow()).getFloatBuffer();
      for (int row = 0; row < b; row++) {
        sentiment[row] = new float[s];
        if (s > 0) {
          Logits.softmax(sentimentLogits, row * s, s, sentiment[row]);
        }
      }
    }
  }

  /** The vocabulary ids of the batch's tokens, [B, T], padding id at padded positions. */
  private OnnxTensor tokenIds(
      OrtEnvironment env, List<? extends List<String>> words, List<ElmoLayers> sentences, int t)
      throws OrtException {
    int b = sentences.size();
    if (idBuffer == null || idBuffer.capacity() < b * t) {
      idBuffer =
          direct(grown(idBuffer == null ? 0 : idBuffer.capacity(), b * t), Long.BYTES)
              .asLongBuffer();
    }
    long padding = vocabulary.paddingId();
    for (int row = 0; row < b; row++) {
      List<String> tokens = words.get(row);
      int n = sentences.get(row).tokens();
      if (tokens.size() != n) {
        throw new IllegalArgumentException(
            "sentence " + row + " has " + tokens.size() + " tokens but " + n + " activations");
      }
      for (int j = 0; j < t; j++) {
        idBuffer.put(row * t + j, j < n ? vocabulary.id(tokens.get(j)) : padding);
      }
    }
    return OnnxTensor.createTensor(env, idBuffer.slice(0, b * t), new long[] {b, t});
  }

  private static FloatBuffer ensure(FloatBuffer buffer, int floats) {
    if (buffer != null && buffer.capacity() >= floats) {
      return buffer;
    }
    return direct(grown(buffer == null ? 0 : buffer.capacity(), floats), Float.BYTES)
        .asFloatBuffer();
  }

  /** At least {@code needed}, and at least double {@code capacity}, so growth is amortised. */
  private static int grown(int capacity, int needed) {
    return Math.max(needed, capacity * 2);
  }

  private static ByteBuffer direct(int elements, int bytesEach) {
    return ByteBuffer.allocateDirect(elements * bytesEach).order(ByteOrder.nativeOrder());
  }

  private void check(OrtSession s) throws OrtException {
    Map<String, NodeInfo> inputs = s.getInputInfo();
    Map<String, NodeInfo> outputs = s.getOutputInfo();
    for (String name : List.of(LAYERS_INPUT, MASK_INPUT)) {
      if (!inputs.containsKey(name)) {
        throw fail("the graph has no input \"" + name + "\" (it has " + inputs.keySet() + ")");
      }
    }
    if (vocabulary != null && !inputs.containsKey(TOKEN_IDS_INPUT)) {
      throw fail(
          "manifest.json has a vocabulary but the graph has no input \""
              + TOKEN_IDS_INPUT
              + "\" (it has "
              + inputs.keySet()
              + "): regenerate the package");
    }
    if (vocabulary == null && inputs.containsKey(TOKEN_IDS_INPUT)) {
      throw fail(
          "the graph takes \""
              + TOKEN_IDS_INPUT
              + "\" but manifest.json has no vocabulary section to make them from: regenerate"
              + " the package");
    }
    List<String> required = new ArrayList<>(List.of(TAG_OUTPUT));
    // Every head the manifest lists must have its output, whichever head this instance serves.
    if (!sentiment2Labels.isEmpty()) {
      required.add(SentimentHead.SST2.output());
    }
    if (!sentiment5Labels.isEmpty()) {
      required.add(SentimentHead.SST5.output());
    }
    for (String name : required) {
      if (!outputs.containsKey(name)) {
        throw fail("the graph has no output \"" + name + "\" (it has " + outputs.keySet() + ")");
      }
    }
    long[] in = ((TensorInfo) inputs.get(LAYERS_INPUT).getInfo()).getShape();
    if (in.length != 4 || (in[0] > 0 && in[0] != layers) || (in[3] > 0 && in[3] != dim)) {
      throw fail(
          "input \"layers\" has shape "
              + java.util.Arrays.toString(in)
              + " but the manifest says ["
              + layers
              + ", B, T, "
              + dim
              + "]");
    }
    long[] tag = ((TensorInfo) outputs.get(TAG_OUTPUT).getInfo()).getShape();
    if (tag.length != 3 || (tag[2] > 0 && tag[2] != tagLabels.size())) {
      throw fail(
          "output \"tag_logits\" has shape "
              + java.util.Arrays.toString(tag)
              + " but the manifest lists "
              + tagLabels.size()
              + " tag labels");
    }
    checkSentimentShape(outputs, SentimentHead.SST2, sentiment2Labels);
    checkSentimentShape(outputs, SentimentHead.SST5, sentiment5Labels);
  }

  private void checkSentimentShape(
      Map<String, NodeInfo> outputs, SentimentHead head, List<String> labels) {
    if (labels.isEmpty()) {
      return;
    }
    long[] sent = ((TensorInfo) outputs.get(head.output()).getInfo()).getShape();
    if (sent.length != 2 || (sent[1] > 0 && sent[1] != labels.size())) {
      throw fail(
          "output \""
              + head.output()
              + "\" has shape "
              + java.util.Arrays.toString(sent)
              + " but the manifest lists "
              + labels.size()
              + " "
              + head.labelsField());
    }
  }

  private ModelPackageException fail(String problem) {
    return new ModelPackageException("ELMo heads package " + dir.toAbsolutePath() + ": " + problem);
  }

  private static void closeQuietly(OrtSession s, OrtSession.SessionOptions o) {
    try {
      if (s != null) {
        s.close();
      }
    } catch (OrtException ignored) {
      // already failing; the original error is what the user needs
    }
    o.close();
  }

  @Override
  public synchronized void close() throws OrtException {
    try {
      session.close();
    } finally {
      options.close();
    }
  }
}
