package dev.rillet.elmo;

import dev.rillet.elmo.runtime.ElmoHeads;
import dev.rillet.elmo.runtime.ElmoLayers;
import dev.rillet.elmo.runtime.ElmoModel;
import dev.rillet.elmo.runtime.ElmoSource;
import dev.rillet.elmo.runtime.ElmoState;
import dev.rillet.elmo.runtime.SentimentHead;
import dev.rillet.elmo.runtime.SharedElmo;
import dev.rillet.onnx.ExecutionProvider;
import dev.rillet.onnx.OrtSettings;
import dev.rillet.onnx.SharedCache;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apache.flink.annotation.PublicEvolving;

/**
 * The production {@link SentenceAnalyzer}: ELMo (through {@link ElmoModel}) then its task heads
 * ({@link ElmoHeads}), both shared per TaskManager through {@link SharedElmo}. The biLM's
 * activations go to the heads without leaving the process; a stateful analyzer carries each
 * stream's LSTM states as a packed {@code float[]} (h of every direction and layer, then c).
 */
@PublicEvolving
public final class ElmoAnalyzer implements SentenceAnalyzer {
  private final SharedCache.Lease<SharedElmo.Stack> lease;
  private final ElmoModel elmo;
  private final ElmoHeads heads;
  private final int hSize;
  private final int cSize;
  private final List<String> modelIds;

  private ElmoAnalyzer(SharedCache.Lease<SharedElmo.Stack> lease, String elmoName) {
    this.lease = lease;
    this.elmo = lease.get().elmo();
    this.heads = lease.get().heads();
    if (elmo.stateful()) {
      ElmoState zero = elmo.newState();
      hSize = zero.h().length;
      cSize = zero.c().length;
    } else {
      hSize = 0;
      cSize = 0;
    }
    this.modelIds = List.of(elmoName, heads.id());
  }

  /** A serializable factory for operators: each {@code create()} takes a lease on the stack. */
  public static Factory factory(
      ElmoSource source, Path headsDir, boolean stateful, int intraOpThreads) {
    return factory(source, headsDir, stateful, OrtSettings.of(intraOpThreads), SentimentHead.SST2);
  }

  /**
   * As {@link #factory(ElmoSource, Path, boolean, int)}, with the heads' {@code sentimentHead}
   * giving the sentence sentiment (and {@link #sentimentLabels()}) and sessions made with {@code
   * settings}.
   */
  public static Factory factory(
      ElmoSource source,
      Path headsDir,
      boolean stateful,
      OrtSettings settings,
      SentimentHead sentimentHead) {
    return new Factory(source, headsDir.toString(), stateful, settings, sentimentHead);
  }

  @Override
  public List<String> tagLabels() {
    return heads.tagLabels();
  }

  @Override
  public List<String> sentimentLabels() {
    return heads.sentimentLabels();
  }

  @Override
  public List<String> modelIds() {
    return modelIds;
  }

  @Override
  public int stateSize() {
    return hSize + cSize;
  }

  @Override
  public void analyze(
      List<String[]> sentences,
      float[][] states,
      EmbeddingsMode embeddings,
      SentenceResult[] results)
      throws Exception {
    int b = sentences.size();
    List<List<String>> words = new ArrayList<>(b);
    for (String[] s : sentences) {
      words.add(Arrays.asList(s));
    }
    List<ElmoLayers> layers;
    if (states == null) {
      layers = elmo.embed(words);
    } else {
      List<ElmoState> elmoStates = new ArrayList<>(b);
      for (float[] packed : states) {
        elmoStates.add(
            new ElmoState(
                elmo.layers() - 1,
                Arrays.copyOfRange(packed, 0, hSize),
                Arrays.copyOfRange(packed, hSize, hSize + cSize)));
      }
      layers = elmo.embed(words, elmoStates);
      for (int i = 0; i < b; i++) {
        System.arraycopy(elmoStates.get(i).h(), 0, states[i], 0, hSize);
        System.arraycopy(elmoStates.get(i).c(), 0, states[i], hSize, cSize);
      }
    }
    int[][] tags = new int[b][];
    float[][] probabilities = new float[b][];
    float[][] sentiment = new float[b][];
    heads.run(words, layers, tags, probabilities, sentiment);
    for (int i = 0; i < b; i++) {
      SentenceResult r = new SentenceResult();
      r.tags = tags[i];
      r.tagProbabilities = probabilities[i];
      r.sentiment = sentiment[i];
      r.embeddings = embeddings(layers.get(i), embeddings);
      results[i] = r;
    }
  }

  private float[][] embeddings(ElmoLayers l, EmbeddingsMode mode) {
    switch (mode) {
      case OFF:
        return null;
      case ALL:
        {
          float[][] out = new float[l.tokens()][l.layers() * l.dim()];
          for (int t = 0; t < l.tokens(); t++) {
            for (int k = 0; k < l.layers(); k++) {
              System.arraycopy(l.data(), l.offset(k, t), out[t], k * l.dim(), l.dim());
            }
          }
          return out;
        }
      case MIXED:
        {
          float[] w = heads.tagScalarMix();
          float[][] out = new float[l.tokens()][l.dim()];
          for (int t = 0; t < l.tokens(); t++) {
            for (int k = 0; k < l.layers(); k++) {
              int at = l.offset(k, t);
              for (int i = 0; i < l.dim(); i++) {
                out[t][i] += w[k] * l.data()[at + i];
              }
            }
          }
          return out;
        }
      default:
        throw new IllegalArgumentException("unknown embeddings mode " + mode);
    }
  }

  @Override
  public void requireEmbeddings(EmbeddingsMode mode) {
    if (mode == EmbeddingsMode.MIXED) {
      heads.tagScalarMix();
    }
  }

  @Override
  public void close() {
    lease.close();
  }

  /** See {@link ElmoAnalyzer#factory}. */
  public static final class Factory implements SentenceAnalyzer.Factory {
    private static final long serialVersionUID = 1L;

    private final ElmoSource source;
    private final String headsDir;
    private final boolean stateful;
    private final OrtSettings settings;
    private final SentimentHead sentimentHead;

    private Factory(
        ElmoSource source,
        String headsDir,
        boolean stateful,
        OrtSettings settings,
        SentimentHead sentimentHead) {
      this.source = source;
      this.headsDir = headsDir;
      this.stateful = stateful;
      this.settings = settings;
      this.sentimentHead = sentimentHead;
    }

    @Override
    public ElmoSource elmoSource() {
      return source;
    }

    /** Where the biLM and heads sessions run here: {@link OrtSettings#resolve()}. */
    @Override
    public ExecutionProvider executionProvider() {
      return settings.resolve();
    }

    @Override
    public Path headsDir() {
      return Path.of(headsDir);
    }

    @Override
    public Factory withModels(ElmoSource newSource, Path newHeadsDir) {
      return new Factory(
          newSource == null ? source : newSource,
          newHeadsDir.toString(),
          stateful,
          settings,
          sentimentHead);
    }

    @Override
    public ElmoAnalyzer create() {
      return new ElmoAnalyzer(
          SharedElmo.acquire(source, stateful, Path.of(headsDir), sentimentHead, settings),
          source.name());
    }
  }
}
