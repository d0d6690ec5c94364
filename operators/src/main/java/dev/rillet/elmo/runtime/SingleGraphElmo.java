package dev.rillet.elmo.runtime;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtException;
import dev.rillet.elmo.conversion.ElmoOnnxConverter;
import java.nio.ByteBuffer;
import java.nio.IntBuffer;
import java.util.List;
import java.util.Map;

/**
 * The single graph of {@link ElmoOnnxConverter#convert}: each sentence's character ids in, every
 * token through the char CNN on every call; no token cache. Made by {@link ElmoModel#builder()}.
 */
final class SingleGraphElmo extends ElmoModel {
  // Reused across calls: grown when a batch needs more, never shrunk.
  private int[] ids = new int[0];
  private ByteBuffer idBytes = ByteBuffer.allocateDirect(0);

  /** Takes ownership of {@code loaded}'s session and options. */
  SingleGraphElmo(Loaded loaded) {
    super(loaded);
  }

  @Override
  public int tokenCacheSize() {
    return 0;
  }

  @Override
  public TokenCacheStats tokenCacheStats() {
    return new TokenCacheStats(0, 0, 0, 0, 0);
  }

  @Override
  void putSentenceInputs(
      List<? extends List<String>> sentences, int batch, int time, Map<String, OnnxTensor> inputs)
      throws OrtException {
    inputs.put(ElmoOnnxConverter.CHAR_IDS, charIdTensor(sentences, batch, time));
  }

  /** The single graph's input: every sentence's char ids, [B, T + 2, W]. */
  private OnnxTensor charIdTensor(List<? extends List<String>> sentences, int batch, int time)
      throws OrtException {
    int width = charIds.width();
    int rowIds = time * width;
    if (ids.length < batch * rowIds) {
      ids = new int[batch * rowIds];
    }
    for (int b = 0; b < batch; b++) {
      charIds.sentence(sentences.get(b), time, ids, b * rowIds);
    }
    idBytes = ensure(idBytes, 4L * batch * rowIds);
    IntBuffer idBuffer = idBytes.asIntBuffer();
    idBuffer.put(ids, 0, batch * rowIds).flip();
    return OnnxTensor.createTensor(env, idBuffer, new long[] {batch, time, width});
  }

  @Override
  public synchronized void close() {
    closeSessions(null);
  }
}
