package dev.rillet.elmo.runtime;

import dev.rillet.elmo.conversion.ElmoFormatException;
import dev.rillet.onnx.OrtSettings;
import java.io.IOException;
import java.io.InputStream;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.stream.Stream;
import org.apache.flink.annotation.PublicEvolving;

/**
 * Where an ELMo model comes from: an ONNX file written by {@code rillet convert-elmo}, or an
 * AllenNLP / bilm-tf {@code options.json} + {@code weights.hdf5} pair converted at load time.
 * Serializable (paths as strings) so operators can ship it to the task managers.
 */
@PublicEvolving
public final class ElmoSource implements Serializable {
  private static final long serialVersionUID = 1L;

  private final String onnx;
  private final String options;
  private final String weights;

  private ElmoSource(String onnx, String options, String weights) {
    this.onnx = onnx;
    this.options = options;
    this.weights = weights;
  }

  /** An options.json + weights.hdf5 pair (the published files use longer names; any work). */
  public static ElmoSource pair(Path options, Path weights) {
    return new ElmoSource(null, options.toString(), weights.toString());
  }

  /**
   * The source with these paths (as {@link #onnxPath()}, {@link #optionsPath()}, {@link
   * #weightsPath()} give them): an ONNX file or an options + weights pair, e.g. as recorded in
   * state.
   *
   * @throws IllegalArgumentException unless exactly one of the two forms is given
   */
  public static ElmoSource of(String onnx, String options, String weights) {
    if ((onnx == null) == (options == null || weights == null)
        || (onnx != null && (options != null || weights != null))) {
      throw new IllegalArgumentException(
          "an ELMo source is an .onnx file or an options + weights pair, got onnx="
              + onnx
              + ", options="
              + options
              + ", weights="
              + weights);
    }
    return new ElmoSource(onnx, options, weights);
  }

  /** The ONNX file, or null for an options + weights pair. */
  public String onnxPath() {
    return onnx;
  }

  /** The options.json file of a pair, or null for an ONNX file. */
  public String optionsPath() {
    return options;
  }

  /** The weights file of a pair, or null for an ONNX file. */
  public String weightsPath() {
    return weights;
  }

  /** An ONNX file converted ahead of time. */
  public static ElmoSource onnx(Path file) {
    return new ElmoSource(file.toString(), null, null);
  }

  /**
   * Resolves a user's path: an {@code .onnx} file, or a folder holding {@code options.json} and one
   * {@code .hdf5} weights file (e.g. {@code models/elmo-bilm}).
   *
   * @throws ElmoFormatException naming what is missing and how to fix it
   */
  public static ElmoSource resolve(Path path) {
    if (Files.isRegularFile(path) && path.toString().endsWith(".onnx")) {
      return onnx(path);
    }
    if (!Files.isDirectory(path)) {
      throw new ElmoFormatException(
          "ELMo model "
              + path.toAbsolutePath()
              + " is neither an .onnx file nor a folder with options.json + weights.hdf5;"
              + " point it at one (e.g. models/elmo-bilm), or give the published files with"
              + " --elmo-options and --elmo-weights");
    }
    Path options = path.resolve("options.json");
    if (!Files.isRegularFile(options)) {
      throw new ElmoFormatException(
          "ELMo folder " + path.toAbsolutePath() + " has no options.json next to its weights");
    }
    List<Path> hdf5;
    try (Stream<Path> files = Files.list(path)) {
      hdf5 = files.filter(p -> p.toString().endsWith(".hdf5")).sorted().toList();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    if (hdf5.size() != 1) {
      throw new ElmoFormatException(
          "ELMo folder "
              + path.toAbsolutePath()
              + " must hold exactly one .hdf5 weights file, found "
              + hdf5.size()
              + "; give the files explicitly with --elmo-options and --elmo-weights");
    }
    return pair(options, hdf5.get(0));
  }

  /** Loads (or converts) the model. The caller owns the result. */
  public ElmoModel open(boolean stateful, int intraOpThreads) throws IOException {
    return open(stateful, OrtSettings.of(intraOpThreads));
  }

  /** Loads (or converts) the model with sessions made with {@code settings}. */
  public ElmoModel open(boolean stateful, OrtSettings settings) throws IOException {
    if (onnx != null) {
      ElmoModel model = ElmoModel.builder().onnx(Path.of(onnx)).ortSettings(settings).build();
      if (model.stateful() != stateful) {
        model.close();
        throw new ElmoFormatException(
            "ELMo model "
                + onnx
                + (stateful
                    ? " has no LSTM state inputs: convert it with convert-elmo --stateful, or run"
                        + " stateless"
                    : " was converted with --stateful: convert it without, or run stateful"));
      }
      return model;
    }
    return ElmoModel.builder()
        .convert(Path.of(options), Path.of(weights))
        .stateful(stateful)
        .ortSettings(settings)
        .build();
  }

  /**
   * The SHA-256 (lower-case hex) of the weights file of an options + weights pair, which heads
   * packages name as the biLM they were trained on; empty for an ONNX source, whose file is not the
   * weights file heads record. Reads the whole file (once per load, not per sentence).
   */
  public Optional<String> weightsSha256() {
    if (weights == null) {
      return Optional.empty();
    }
    try (InputStream in = Files.newInputStream(Path.of(weights))) {
      MessageDigest digest = MessageDigest.getInstance("SHA-256");
      byte[] chunk = new byte[1 << 16];
      for (int n = in.read(chunk); n >= 0; n = in.read(chunk)) {
        digest.update(chunk, 0, n);
      }
      return Optional.of(HexFormat.of().formatHex(digest.digest()));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read ELMo weights " + weights + ": " + e, e);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is required of every Java platform", e);
    }
  }

  /** The weights (or ONNX) file name, for messages and provenance. */
  public Optional<Path> folder() {
    return options == null ? Optional.empty() : Optional.ofNullable(Path.of(options).getParent());
  }

  public String name() {
    Path file = Path.of(onnx != null ? onnx : weights).toAbsolutePath();
    Path folder = file.getParent();
    return (folder == null || folder.getFileName() == null ? "" : folder.getFileName() + "/")
        + file.getFileName();
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof ElmoSource s
        && Objects.equals(onnx, s.onnx)
        && Objects.equals(options, s.options)
        && Objects.equals(weights, s.weights);
  }

  @Override
  public int hashCode() {
    return Objects.hash(onnx, options, weights);
  }

  @Override
  public String toString() {
    return onnx != null ? onnx : options + " + " + weights;
  }
}
