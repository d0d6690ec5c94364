package dev.rillet.jobs.pipeline;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * A local run's state directory ({@code --state-dir}): Flink writes retained checkpoints under
 * {@code checkpoints/<job id>/chk-<n>/} and savepoints under {@code savepoints/savepoint-*}. A
 * checkpoint or savepoint is complete once its {@code _metadata} file exists (Flink writes it
 * last); a folder without one is a checkpoint that was still being taken when the process died.
 */
public final class StateDirectory {
  /** The file Flink writes last into a completed checkpoint or savepoint. */
  public static final String METADATA = "_metadata";

  private final Path root;

  public StateDirectory(Path root) {
    this.root = root.toAbsolutePath().normalize();
  }

  public Path root() {
    return root;
  }

  /** Where Flink writes this directory's checkpoints ({@code execution.checkpointing.dir}). */
  public Path checkpoints() {
    return root.resolve("checkpoints");
  }

  /** Where savepoints go ({@code execution.checkpointing.savepoint-dir}). */
  public Path savepoints() {
    return root.resolve("savepoints");
  }

  /** One completed checkpoint or savepoint: its folder and when its metadata was written. */
  public record Snapshot(Path path, boolean savepoint, FileTime completed) {
    /** "checkpoint" or "savepoint", for messages. */
    public String kind() {
      return savepoint ? "savepoint" : "checkpoint";
    }
  }

  /** Every completed checkpoint and savepoint in the directory, oldest first. */
  public List<Snapshot> completed() {
    List<Snapshot> found = new ArrayList<>();
    // checkpoints/<job id>/chk-<n>/_metadata
    for (Path job : children(checkpoints())) {
      for (Path chk : children(job)) {
        if (chk.getFileName().toString().startsWith("chk-")) {
          metadataTime(chk).ifPresent(t -> found.add(new Snapshot(chk, false, t)));
        }
      }
    }
    // savepoints/savepoint-<job id prefix>-<random>/_metadata
    for (Path sp : children(savepoints())) {
      metadataTime(sp).ifPresent(t -> found.add(new Snapshot(sp, true, t)));
    }
    found.sort(
        Comparator.comparing(Snapshot::completed)
            // Same time stamp: a savepoint is taken after the checkpoints it follows.
            .thenComparing(Snapshot::savepoint)
            .thenComparing(s -> checkpointNumber(s.path())));
    return found;
  }

  /** The most recently completed checkpoint or savepoint, if any. */
  public Optional<Snapshot> latest() {
    List<Snapshot> all = completed();
    return all.isEmpty() ? Optional.empty() : Optional.of(all.get(all.size() - 1));
  }

  /** True if {@code path} is a completed checkpoint or savepoint (a folder with _metadata). */
  public static boolean isCompleted(Path path) {
    return metadataTime(path).isPresent();
  }

  private static Optional<FileTime> metadataTime(Path dir) {
    Path metadata = dir.resolve(METADATA);
    try {
      if (Files.isRegularFile(metadata) && Files.size(metadata) > 0) {
        return Optional.of(Files.getLastModifiedTime(metadata));
      }
      return Optional.empty();
    } catch (IOException e) {
      // Vanished between the listing and the look: a subsumed checkpoint being deleted.
      return Optional.empty();
    }
  }

  private static long checkpointNumber(Path path) {
    String name = path.getFileName().toString();
    if (name.startsWith("chk-")) {
      try {
        return Long.parseLong(name.substring(4));
      } catch (NumberFormatException e) {
        return -1;
      }
    }
    return -1;
  }

  private static List<Path> children(Path dir) {
    if (!Files.isDirectory(dir)) {
      return List.of();
    }
    try (Stream<Path> list = Files.list(dir)) {
      return list.filter(Files::isDirectory).sorted().toList();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot list " + dir, e);
    }
  }
}
