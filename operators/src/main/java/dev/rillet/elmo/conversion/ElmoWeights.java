package dev.rillet.elmo.conversion;

import io.jhdf.HdfFile;
import io.jhdf.WritableHdfFile;
import io.jhdf.api.Dataset;
import io.jhdf.api.Node;
import io.jhdf.api.WritableGroup;
import io.jhdf.exceptions.HdfException;
import java.lang.reflect.Array;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.SplittableRandom;
import org.apache.flink.annotation.PublicEvolving;

/**
 * The weights of an ELMo model in bilm-tf's HDF5 layout ({@code weights.hdf5}), checked against
 * {@link ElmoOptions}. Dataset paths (see {@link #expectedShapes}):
 *
 * <ul>
 *   <li>{@code char_embed} {@code (261, char_dim)}: byte-vocabulary embedding, without the padding
 *       row;
 *   <li>{@code CNN/W_cnn_i} {@code (1, width, char_dim, count)}, {@code CNN/b_cnn_i} {@code
 *       (count)};
 *   <li>{@code CNN_high_k/{W_carry, W_transform}} {@code (F, F)} and {@code b_carry, b_transform}
 *       {@code (F)}, F = total filters;
 *   <li>{@code CNN_proj/W_proj} {@code (F, P)}, {@code b_proj} {@code (P)} when F != P;
 *   <li>{@code RNN_d/RNN/MultiRNNCell/Cell{k}/LSTMCell/W_0} {@code (2P, 4H)} (rows {@code [x ; h]},
 *       gate columns i, j, f, o), {@code B} {@code (4H)}, and {@code W_P_0} {@code (H, P)} when P
 *       &lt; H; d = 0 forward, 1 backward.
 * </ul>
 *
 * Values are float32, kept as flat row-major arrays. Immutable after construction; the arrays
 * returned by {@link #get} are shared and must not be modified.
 */
@PublicEvolving
public final class ElmoWeights {
  /** The number of rows of {@code char_embed}: 256 bytes + 5 markers (no padding row). */
  public static final int CHAR_EMBED_ROWS = 261;

  /** One dataset: its shape and its values, row-major. */
  public record Tensor(int[] shape, float[] data) {
    public Tensor {
      Objects.requireNonNull(shape);
      Objects.requireNonNull(data);
    }
  }

  private final Map<String, Tensor> tensors;

  private ElmoWeights(Map<String, Tensor> tensors) {
    this.tensors = tensors;
  }

  /** The dataset path of an LSTM weight: direction 0 forward / 1 backward, layer k, name. */
  public static String lstmPath(int direction, int layer, String name) {
    return "RNN_" + direction + "/RNN/MultiRNNCell/Cell" + layer + "/LSTMCell/" + name;
  }

  /** Every dataset these options need, in a stable order, with its expected shape. */
  public static Map<String, int[]> expectedShapes(ElmoOptions o) {
    Map<String, int[]> shapes = new LinkedHashMap<>();
    int f = o.totalFilters();
    int p = o.projectionDim();
    int h = o.lstmDim();
    shapes.put("char_embed", new int[] {CHAR_EMBED_ROWS, o.charDim()});
    for (int i = 0; i < o.numFilters(); i++) {
      shapes.put("CNN/W_cnn_" + i, new int[] {1, o.filterWidth(i), o.charDim(), o.filterCount(i)});
      shapes.put("CNN/b_cnn_" + i, new int[] {o.filterCount(i)});
    }
    for (int k = 0; k < o.nHighway(); k++) {
      shapes.put("CNN_high_" + k + "/W_carry", new int[] {f, f});
      shapes.put("CNN_high_" + k + "/b_carry", new int[] {f});
      shapes.put("CNN_high_" + k + "/W_transform", new int[] {f, f});
      shapes.put("CNN_high_" + k + "/b_transform", new int[] {f});
    }
    if (o.tokenProjects()) {
      shapes.put("CNN_proj/W_proj", new int[] {f, p});
      shapes.put("CNN_proj/b_proj", new int[] {p});
    }
    for (int d = 0; d < 2; d++) {
      for (int k = 0; k < o.nLayers(); k++) {
        shapes.put(lstmPath(d, k, "W_0"), new int[] {2 * p, 4 * h});
        shapes.put(lstmPath(d, k, "B"), new int[] {4 * h});
        if (o.lstmProjects()) {
          shapes.put(lstmPath(d, k, "W_P_0"), new int[] {h, p});
        }
      }
    }
    return shapes;
  }

  /**
   * Reads {@code file} and checks every dataset the options need (other datasets are ignored).
   *
   * @throws ElmoFormatException when the file is not HDF5, or a dataset is missing, not float or of
   *     the wrong shape (the message names the dataset and both shapes)
   */
  public static ElmoWeights read(Path file, ElmoOptions options) {
    if (!Files.isRegularFile(file)) {
      throw new ElmoFormatException("ELMo weights file " + file + " does not exist");
    }
    Map<String, Tensor> tensors = new LinkedHashMap<>();
    try (HdfFile hdf = new HdfFile(file)) {
      for (Map.Entry<String, int[]> e : expectedShapes(options).entrySet()) {
        String path = e.getKey();
        Node node;
        try {
          node = hdf.getByPath(path);
        } catch (HdfException missing) {
          throw new ElmoFormatException(
              file
                  + ": missing dataset '"
                  + path
                  + "' (expected shape "
                  + Arrays.toString(e.getValue())
                  + "); are these the weights that go with this options.json?");
        }
        if (!(node instanceof Dataset dataset)) {
          throw new ElmoFormatException(file + ": '" + path + "' is a group, not a dataset");
        }
        tensors.put(path, new Tensor(dataset.getDimensions(), toFloats(file, path, dataset)));
      }
    } catch (HdfException e) {
      throw new ElmoFormatException(file + ": cannot read as HDF5 (" + e.getMessage() + ")", e);
    }
    return of(options, tensors, file.toString());
  }

  /**
   * Weights from tensors already in memory, checked like {@link #read}; {@code source} names them
   * in error messages.
   */
  public static ElmoWeights of(ElmoOptions options, Map<String, Tensor> tensors, String source) {
    Map<String, Tensor> checked = new LinkedHashMap<>();
    for (Map.Entry<String, int[]> e : expectedShapes(options).entrySet()) {
      Tensor t = tensors.get(e.getKey());
      if (t == null) {
        throw new ElmoFormatException(
            source
                + ": missing dataset '"
                + e.getKey()
                + "' (expected shape "
                + Arrays.toString(e.getValue())
                + ")");
      }
      if (!Arrays.equals(t.shape(), e.getValue())) {
        throw new ElmoFormatException(
            source
                + ": dataset '"
                + e.getKey()
                + "' has shape "
                + Arrays.toString(t.shape())
                + " but the options need "
                + Arrays.toString(e.getValue())
                + "; are these the weights that go with this options.json?");
      }
      long n = 1;
      for (int d : t.shape()) {
        n *= d;
      }
      if (n != t.data().length) {
        throw new ElmoFormatException(
            source
                + ": dataset '"
                + e.getKey()
                + "' holds "
                + t.data().length
                + " values, not "
                + n);
      }
      checked.put(e.getKey(), t);
    }
    return new ElmoWeights(checked);
  }

  /**
   * Random weights for the given options (for benchmarks and tests): uniform in ±1/sqrt(fan-in),
   * biases 0, deterministic for a seed.
   */
  public static ElmoWeights random(ElmoOptions options, long seed) {
    SplittableRandom random = new SplittableRandom(seed);
    Map<String, Tensor> tensors = new LinkedHashMap<>();
    for (Map.Entry<String, int[]> e : expectedShapes(options).entrySet()) {
      int[] shape = e.getValue();
      int n = 1;
      for (int d : shape) {
        n *= d;
      }
      float[] data = new float[n];
      if (shape.length > 1) {
        int fanIn = n / shape[shape.length - 1];
        double scale = e.getKey().equals("char_embed") ? 1.0 : 1.0 / Math.sqrt(fanIn);
        for (int i = 0; i < n; i++) {
          data[i] = (float) ((random.nextDouble() * 2 - 1) * scale);
        }
      }
      tensors.put(e.getKey(), new Tensor(shape, data));
    }
    return new ElmoWeights(tensors);
  }

  /** Writes these weights as an HDF5 file in the bilm-tf layout (float32). */
  public void write(Path file) {
    try (WritableHdfFile out = HdfFile.write(file)) {
      Map<String, WritableGroup> groups = new LinkedHashMap<>();
      for (Map.Entry<String, Tensor> e : tensors.entrySet()) {
        String path = e.getKey();
        int slash = path.lastIndexOf('/');
        WritableGroup parent = slash < 0 ? out : group(out, groups, path.substring(0, slash));
        parent.putDataset(path.substring(slash + 1), nested(e.getValue()));
      }
    }
  }

  private static WritableGroup group(
      WritableHdfFile root, Map<String, WritableGroup> groups, String path) {
    WritableGroup g = groups.get(path);
    if (g == null) {
      int slash = path.lastIndexOf('/');
      WritableGroup parent = slash < 0 ? root : group(root, groups, path.substring(0, slash));
      g = parent.putGroup(path.substring(slash + 1));
      groups.put(path, g);
    }
    return g;
  }

  /** The tensor of a dataset path, e.g. {@code "CNN/W_cnn_0"}. */
  public Tensor get(String dataset) {
    Tensor t = tensors.get(dataset);
    if (t == null) {
      throw new IllegalArgumentException("no dataset '" + dataset + "' in these weights");
    }
    return t;
  }

  /** True when the weights hold this dataset. */
  public boolean has(String dataset) {
    return tensors.containsKey(dataset);
  }

  /** Total number of parameters. */
  public long parameterCount() {
    long n = 0;
    for (Tensor t : tensors.values()) {
      n += t.data().length;
    }
    return n;
  }

  private static float[] toFloats(Path file, String path, Dataset dataset) {
    Object flat = dataset.getDataFlat();
    if (flat instanceof float[] f) {
      return f;
    }
    if (flat instanceof double[] d) {
      float[] f = new float[d.length];
      for (int i = 0; i < d.length; i++) {
        f[i] = (float) d[i];
      }
      return f;
    }
    throw new ElmoFormatException(
        file
            + ": dataset '"
            + path
            + "' holds "
            + dataset.getJavaType().getSimpleName()
            + " values; expected float32");
  }

  /** The flat data as a nested Java array of the tensor's shape (what jhdf writes). */
  private static Object nested(Tensor t) {
    Object array = Array.newInstance(float.class, t.shape());
    int[] index = {0};
    fill(array, t.data(), index);
    return array;
  }

  private static void fill(Object array, float[] data, int[] index) {
    if (array instanceof float[] row) {
      System.arraycopy(data, index[0], row, 0, row.length);
      index[0] += row.length;
      return;
    }
    for (int i = 0; i < Array.getLength(array); i++) {
      fill(Array.get(array, i), data, index);
    }
  }
}
