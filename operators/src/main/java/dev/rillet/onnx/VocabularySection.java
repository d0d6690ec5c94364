package dev.rillet.onnx;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.flink.annotation.PublicEvolving;

/**
 * The {@code vocabulary} section of a package manifest, read and checked: the one format both
 * recurrent packages and ELMo heads packages with word vectors use.
 *
 * <pre>{@code
 * "vocabulary": {"file": "vocab.txt", "normalization": ["lowercase", "digits"],
 *                "unknownId": 1, "paddingId": 0,
 *                "unknownClasses": "shape-suffix-1"}                   // optional
 * }</pre>
 *
 * @param file the vocabulary file name, relative to the package folder
 * @param normalization the steps tokens go through before lookup, in order
 * @param unknownId the id of {@code <unk>}
 * @param paddingId the id of {@code <pad>}
 * @param unknownClasses the vocabulary holds {@link UnknownWordClasses} entries
 */
@PublicEvolving
public record VocabularySection(
    String file,
    List<Normalization> normalization,
    int unknownId,
    int paddingId,
    boolean unknownClasses) {

  public VocabularySection {
    normalization = List.copyOf(normalization);
  }

  /**
   * Reads the section {@code vocabulary} of the manifest {@code manifestFile} (whose parsed root is
   * {@code root}).
   *
   * @throws ModelPackageException naming the manifest, the field and the fix when it is missing or
   *     invalid
   */
  public static VocabularySection read(Path manifestFile, JsonNode root) {
    return read(new ManifestFields(manifestFile), root);
  }

  static VocabularySection read(ManifestFields f, JsonNode root) {
    JsonNode vocab = f.object(root, "", "vocabulary");
    String file =
        f.fileName(vocab, "vocabulary.", "file", "the vocabulary file name, e.g. \"vocab.txt\"");
    List<Normalization> steps = new ArrayList<>();
    for (String name : f.strings(vocab, "vocabulary.", "normalization", true)) {
      Normalization n = Normalization.fromManifestName(name);
      if (n == null) {
        throw f.fail(
            "vocabulary.normalization lists \""
                + name
                + "\": known steps are \"lowercase\" and \"digits\"");
      }
      steps.add(n);
    }
    int unknownId = f.nonNegativeInt(vocab, "vocabulary.", "unknownId", "the id of <unk>");
    int paddingId = f.nonNegativeInt(vocab, "vocabulary.", "paddingId", "the id of <pad>");
    boolean classes = vocab.has("unknownClasses");
    if (classes) {
      String scheme =
          f.text(vocab, "vocabulary.", "unknownClasses", '"' + UnknownWordClasses.SCHEME + '"');
      if (!scheme.equals(UnknownWordClasses.SCHEME)) {
        throw f.fail(
            "vocabulary.unknownClasses is \""
                + scheme
                + "\" but this Rillet knows only \""
                + UnknownWordClasses.SCHEME
                + "\": retrain the package with a matching recipe or upgrade Rillet");
      }
    }
    return new VocabularySection(file, steps, unknownId, paddingId, classes);
  }

  /**
   * Loads the vocabulary file this section names from {@code packageDir}.
   *
   * @throws ModelPackageException as {@link Vocabulary#load(Path, List, int, int, boolean)}
   */
  public Vocabulary load(Path packageDir) {
    return Vocabulary.load(
        packageDir.resolve(file), normalization, unknownId, paddingId, unknownClasses);
  }
}
