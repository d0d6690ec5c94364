package dev.rillet.elmo.runtime;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.rillet.elmo.conversion.ElmoFormatException;
import dev.rillet.elmo.conversion.ElmoOnnxConverter;
import java.nio.ByteBuffer;
import java.nio.FloatBuffer;
import java.nio.IntBuffer;
import java.nio.LongBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The split form of {@link ElmoOnnxConverter}: the token encoder (char CNN, highways, projection)
 * runs only on the tokens of a batch that are not in the {@link TokenVectorCache}, then the
 * contextual graph (the biLSTM) on the vectors. The {@code <S>}/{@code </S>} vectors are computed
 * once, here. Made by {@link ElmoModel#builder()}; owns the encoder session besides the base's.
 */
final class SplitGraphElmo extends ElmoModel {
  private final OrtSession encoder;
  private final TokenVectorCache cache;
  // The vectors of <S> and </S>.
  private final float[] markerVectors;

  // Reused across calls: grown when a batch needs more, never shrunk. The encoder's input rows,
  // the contextual inputs, the encoder's output and each position's row in it.
  private int[] ids = new int[0];
  private ByteBuffer idBytes = ByteBuffer.allocateDirect(0);
  private ByteBuffer vectorBytes = ByteBuffer.allocateDirect(0);
  private ByteBuffer lengthBytes = ByteBuffer.allocateDirect(0);
  private ByteBuffer encodedBytes = ByteBuffer.allocateDirect(0);
  private int[] encodedRow = new int[0];
  private final Map<String, Integer> missRows = new HashMap<>();
  private final List<String> missTokens = new ArrayList<>();
  private long lookups;
  private long hits;
  private long encoded;

  /**
   * Takes ownership of {@code loaded}'s sessions and options, and runs the encoder on the markers.
   *
   * @throws ElmoFormatException when the encoder fails on them, with everything closed
   */
  SplitGraphElmo(Loaded loaded, int tokenCacheSize) {
    super(loaded);
    this.encoder = loaded.encoder();
    this.cache = new TokenVectorCache(tokenCacheSize, projectionDim);
    this.markerVectors = new float[2 * projectionDim];
    encodeMarkers();
  }

  @Override
  public int tokenCacheSize() {
    return cache.capacity();
  }

  @Override
  public synchronized TokenCacheStats tokenCacheStats() {
    return new TokenCacheStats(lookups, hits, encoded, cache.size(), tokenCacheSize());
  }

  /**
   * The contextual graph's inputs: token vectors [B, T + 2, P] from the cache where it has them and
   * from one token-encoder run over the batch's distinct other tokens, and the lengths.
   */
  @Override
  void putSentenceInputs(
      List<? extends List<String>> sentences, int batch, int time, Map<String, OnnxTensor> inputs)
      throws OrtException {
    int p = projectionDim;
    int width = charIds.width();
    int positions = batch * time;
    vectorBytes = ensure(vectorBytes, 4L * positions * p);
    FloatBuffer vectors = vectorBytes.asFloatBuffer().limit(positions * p);
    lengthBytes = ensure(lengthBytes, 8L * batch);
    LongBuffer lengths = lengthBytes.asLongBuffer().limit(batch);
    if (encodedRow.length < positions) {
      encodedRow = new int[positions];
    }
    missRows.clear();
    missTokens.clear();
    for (int b = 0; b < batch; b++) {
      List<String> tokens = sentences.get(b);
      int n = tokens.size();
      int base = b * time;
      vectors.put(base * p, markerVectors, 0, p);
      for (int t = 0; t < n; t++) {
        int pos = base + 1 + t;
        String token = tokens.get(t);
        lookups++;
        if (cache.copyTo(token, vectors, pos * p)) {
          hits++;
          encodedRow[pos] = -1;
          continue;
        }
        // A hit copies its vector now, so evictions by this batch's misses cannot touch it.
        Integer row = missRows.get(token);
        if (row == null) {
          row = missTokens.size();
          missRows.put(token, row);
          missTokens.add(token);
          if (ids.length < (row + 1) * width) {
            ids = java.util.Arrays.copyOf(ids, Math.max((row + 1) * width, 2 * ids.length));
          }
          charIds.token(token, ids, row * width);
        }
        encodedRow[pos] = row;
      }
      vectors.put((base + n + 1) * p, markerVectors, p, p);
      // Padding: ignored by the graph (multiplied by 0); zeros keep stale values out of it.
      for (int i = (base + n + 2) * p; i < (base + time) * p; i++) {
        vectors.put(i, 0f);
      }
      lengths.put(b, n + 2);
    }
    int misses = missTokens.size();
    if (misses > 0) {
      FloatBuffer encodedVectors = encode(misses);
      for (int b = 0; b < batch; b++) {
        int n = sentences.get(b).size();
        for (int pos = b * time + 1; pos <= b * time + n; pos++) {
          int row = encodedRow[pos];
          if (row >= 0) {
            vectors.put(pos * p, encodedVectors, row * p, p);
          }
        }
      }
      for (int i = 0; i < misses; i++) {
        cache.put(missTokens.get(i), encodedVectors, i * p);
      }
      encoded += misses;
    }
    inputs.put(
        ElmoOnnxConverter.TOKEN_VECTORS,
        OnnxTensor.createTensor(env, vectors, new long[] {batch, time, p}));
    inputs.put(
        ElmoOnnxConverter.LENGTHS, OnnxTensor.createTensor(env, lengths, new long[] {batch}));
  }

  /** Runs the token encoder on the first {@code rows} rows of {@link #ids}; returns [rows, P]. */
  private FloatBuffer encode(int rows) throws OrtException {
    int width = charIds.width();
    idBytes = ensure(idBytes, 4L * rows * width);
    IntBuffer idBuffer = idBytes.asIntBuffer();
    idBuffer.put(ids, 0, rows * width).flip();
    encodedBytes = ensure(encodedBytes, 4L * rows * projectionDim);
    FloatBuffer result = encodedBytes.asFloatBuffer().limit(rows * projectionDim);
    try (OnnxTensor in = OnnxTensor.createTensor(env, idBuffer, new long[] {rows, width});
        OnnxTensor out = OnnxTensor.createTensor(env, result, new long[] {rows, projectionDim})) {
      encoder
          .run(Map.of(ElmoOnnxConverter.CHAR_IDS, in), Map.of(ElmoOnnxConverter.TOKEN_VECTORS, out))
          .close();
    }
    return result;
  }

  /** Fills {@link #markerVectors} with the vectors of {@code <S>} and {@code </S>}. */
  private void encodeMarkers() {
    int width = charIds.width();
    if (ids.length < 2 * width) {
      ids = new int[2 * width];
    }
    charIds.sentenceStart(ids, 0);
    charIds.sentenceEnd(ids, width);
    try {
      encode(2).get(0, markerVectors, 0, 2 * projectionDim);
    } catch (OrtException | RuntimeException e) {
      close();
      throw new ElmoFormatException(
          "ELMo token encoder failed on the markers: " + e.getMessage(), e);
    }
  }

  @Override
  public synchronized void close() {
    closeSessions(encoder);
  }
}
