package dev.rillet.jobs.eval;

import dev.rillet.onnx.RecurrentModelManifest;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.apache.flink.configuration.Configuration;

/**
 * One evaluation of a recurrent model package: reads the gold data of the chosen split, runs it
 * through the live operators ({@link EvalPipeline}) and scores the outputs ({@link UposEvaluation},
 * {@link SentimentEvaluation}). The ELMo sentence stage is scored by {@link ElmoEvaluation} on the
 * same {@link Data}.
 */
public final class Evaluation {
  private Evaluation() {}

  /** Which split of the data. */
  public enum Split {
    TEST,
    DEV;

    @Override
    public String toString() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  /**
   * What to evaluate.
   *
   * @param data the shared data folder (holding {@code ud-ewt/} and {@code sst/})
   * @param documentLimit the first this many UD documents (0 = all)
   * @param sstLimit the first this many SST sentences (0 = all)
   */
  public record Settings(
      Path data, Split split, Set<EvalTask> tasks, int documentLimit, int sstLimit) {
    public Settings {
      tasks = Set.copyOf(tasks);
      if (documentLimit < 0 || sstLimit < 0) {
        throw new IllegalArgumentException("--limit must be >= 0 (0 = everything)");
      }
    }

    /** The UD file of the split. */
    public Path conlluFile() {
      return data.resolve("ud-ewt").resolve("en_ewt-ud-" + split + ".conllu");
    }

    /** The SST-2 file of the split. */
    public Path sstFile() {
      return data.resolve("sst").resolve("stsa.binary." + split);
    }

    /** The SST-5 file of the split. */
    public Path sst5File() {
      return data.resolve("sst").resolve("stsa.fine." + split);
    }

    /**
     * Checks that the UPOS and SST-2 files of the chosen tasks exist; the message names the fix.
     * SST-5 is checked by {@link #checkSst5File()}, once it is known that something can score it.
     */
    public void checkFiles() {
      if (tasks.contains(EvalTask.UPOS)) {
        requireFile(conlluFile());
      }
      if (tasks.contains(EvalTask.SST2)) {
        requireFile(sstFile());
      }
    }

    /** Checks that the SST-5 file exists; the message names the fix. */
    public void checkSst5File() {
      requireFile(sst5File());
    }

    private void requireFile(Path file) {
      if (!Files.isRegularFile(file)) {
        throw new IllegalArgumentException(
            "--data "
                + data
                + ": "
                + file
                + " not found; point --data (or RILLET_DATA) at the shared data folder that"
                + " holds ud-ewt/ and sst/");
      }
    }
  }

  /**
   * The gold data of one evaluation, read once and shared by the recurrent and the ELMo runs.
   *
   * @param documents UD documents (empty without upos)
   * @param sst2 SST-2 sentences (empty without sst2)
   * @param sst5 SST-5 sentences (empty unless asked for)
   */
  public record Data(List<UdDocument> documents, List<SstSentence> sst2, List<SstSentence> sst5) {
    public Data {
      documents = List.copyOf(documents);
      sst2 = List.copyOf(sst2);
      sst5 = List.copyOf(sst5);
    }

    /**
     * Reads the files of the settings' tasks, limited as the settings say.
     *
     * @param withSst5 whether to read the SST-5 file (only when something will score it)
     */
    public static Data read(Settings settings, boolean withSst5) throws IOException {
      List<UdDocument> documents =
          settings.tasks().contains(EvalTask.UPOS)
              ? first(Conllu.read(settings.conlluFile()), settings.documentLimit())
              : List.of();
      List<SstSentence> sst2 =
          settings.tasks().contains(EvalTask.SST2)
              ? first(Sst.read(settings.sstFile(), "sst2-" + settings.split()), settings.sstLimit())
              : List.of();
      List<SstSentence> sst5 =
          withSst5 && settings.tasks().contains(EvalTask.SST5)
              ? first(
                  Sst.read(settings.sst5File(), "sst5-" + settings.split()), settings.sstLimit())
              : List.of();
      return new Data(documents, sst2, sst5);
    }
  }

  /**
   * The outcome.
   *
   * @param upos null when UPOS was not evaluated
   * @param sst2 null when SST-2 was not evaluated
   */
  public record Result(
      Settings settings,
      List<UdDocument> documents,
      List<SstSentence> sstSentences,
      EvalPipeline.Predictions predictions,
      UposScore upos,
      SentimentScore sst2,
      Map<String, Integer> sentimentPredictions) {}

  /**
   * Reads the data, runs the pipeline and scores it.
   *
   * @param conf pipeline options (parallelism, bundling, ...)
   * @param modelDir a checked model package
   */
  public static Result run(Configuration conf, Path modelDir, Settings settings) throws Exception {
    settings.checkFiles();
    // Fail before any job runs when sentiment cannot be scored with this model.
    sentimentLabels(modelDir, settings);
    return run(conf, modelDir, settings, Data.read(settings, false));
  }

  /**
   * Runs the pipeline on data already read and scores it (UPOS and SST-2; SST-5 is not the
   * recurrent model's). Without UPOS and SST-2 data no job runs and both scores are null.
   */
  public static Result run(Configuration conf, Path modelDir, Settings settings, Data data)
      throws Exception {
    SentimentLabels labels = sentimentLabels(modelDir, settings);
    List<UdDocument> documents = data.documents();
    List<SstSentence> sst = data.sst2();
    EvalPipeline.Predictions predictions =
        documents.isEmpty() && sst.isEmpty()
            ? EvalPipeline.Predictions.none()
            : EvalPipeline.run(conf, modelDir, documents, sst);

    UposScore upos = null;
    if (settings.tasks().contains(EvalTask.UPOS)) {
      UposEvaluation evaluation = new UposEvaluation();
      for (UdDocument d : documents) {
        for (UdSentence s : d.sentences()) {
          evaluation.add(s, predictions.tokensBySentence().get(s.id()));
        }
      }
      upos = evaluation.score();
    }
    SentimentScore sst2 = null;
    Map<String, Integer> sentiment = new HashMap<>();
    if (settings.tasks().contains(EvalTask.SST2)) {
      predictions.sentimentBySentence().forEach((id, p) -> sentiment.put(id, labels.predict(p)));
      sst2 = SentimentEvaluation.score(sst, sentiment);
    }
    return new Result(settings, documents, sst, predictions, upos, sst2, Map.copyOf(sentiment));
  }

  /**
   * The recurrent model's polarity mapping when SST-2 is asked for, else null.
   *
   * @throws IllegalArgumentException when the model's labels cannot be scored as SST-2
   */
  static SentimentLabels sentimentLabels(Path modelDir, Settings settings) throws IOException {
    return settings.tasks().contains(EvalTask.SST2)
        ? SentimentLabels.of(
            RecurrentModelManifest.read(modelDir.resolve("manifest.json")).sentimentLabels())
        : null;
  }

  static <T> List<T> first(List<T> all, int limit) {
    return limit == 0 || limit >= all.size() ? all : List.copyOf(all.subList(0, limit));
  }
}
