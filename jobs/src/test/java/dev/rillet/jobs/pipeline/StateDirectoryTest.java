package dev.rillet.jobs.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Finding the latest completed checkpoint or savepoint in a state directory. */
class StateDirectoryTest {
  @TempDir Path root;

  private static final Instant T0 = Instant.parse("2024-06-01T10:00:00Z");

  /** A folder like Flink's with a _metadata written at {@code secondsAfterT0}. */
  private static Path completed(Path dir, long secondsAfterT0) throws IOException {
    Files.createDirectories(dir);
    Path metadata = Files.write(dir.resolve("_metadata"), new byte[] {1, 2, 3});
    Files.setLastModifiedTime(metadata, FileTime.from(T0.plusSeconds(secondsAfterT0)));
    return dir;
  }

  @Test
  void missingOrEmptyDirectoryHasNothing() throws IOException {
    assertThat(new StateDirectory(root.resolve("absent")).latest()).isEmpty();
    StateDirectory state = new StateDirectory(root);
    Files.createDirectories(state.checkpoints().resolve("job-a"));
    Files.createDirectories(state.savepoints());
    assertThat(state.latest()).isEmpty();
    assertThat(state.completed()).isEmpty();
  }

  @Test
  void checkpointWithoutMetadataIsNotCompleted() throws IOException {
    StateDirectory state = new StateDirectory(root);
    Path done = completed(state.checkpoints().resolve("job-a/chk-3"), 10);
    // chk-4 was being written when the process died: files, but no _metadata yet.
    Path inProgress = Files.createDirectories(state.checkpoints().resolve("job-a/chk-4"));
    Files.write(inProgress.resolve("some-state-file"), new byte[] {9});
    // An empty _metadata (the write cut short) does not count either.
    Path cut = Files.createDirectories(state.checkpoints().resolve("job-a/chk-5"));
    Files.write(cut.resolve("_metadata"), new byte[0]);
    // Flink's shared/ and taskowned/ folders are not checkpoints.
    completed(state.checkpoints().resolve("job-a/shared"), 20);

    assertThat(state.latest()).get().extracting(StateDirectory.Snapshot::path).isEqualTo(done);
    assertThat(state.completed()).hasSize(1);
  }

  @Test
  void latestAcrossJobsAndSavepointsByCompletionTime() throws IOException {
    StateDirectory state = new StateDirectory(root);
    completed(state.checkpoints().resolve("job-a/chk-9"), 10);
    Path savepoint = completed(state.savepoints().resolve("savepoint-aaaaaa-0123456789ab"), 20);
    // The run after the savepoint restarted numbering from the savepoint's id: chk-2 is newer.
    Path newest = completed(state.checkpoints().resolve("job-b/chk-2"), 30);

    assertThat(state.latest()).get().extracting(StateDirectory.Snapshot::path).isEqualTo(newest);
    assertThat(state.completed())
        .extracting(StateDirectory.Snapshot::kind)
        .containsExactly("checkpoint", "savepoint", "checkpoint");

    completed(savepoint, 40); // a later savepoint wins
    StateDirectory.Snapshot latest = state.latest().orElseThrow();
    assertThat(latest.path()).isEqualTo(savepoint);
    assertThat(latest.savepoint()).isTrue();
  }

  @Test
  void sameTimeStampPrefersTheSavepointThenTheHigherCheckpoint() throws IOException {
    StateDirectory state = new StateDirectory(root);
    completed(state.checkpoints().resolve("job-a/chk-10"), 10);
    completed(state.checkpoints().resolve("job-a/chk-9"), 10);
    assertThat(state.latest().orElseThrow().path().getFileName().toString()).isEqualTo("chk-10");
    Path savepoint = completed(state.savepoints().resolve("savepoint-aaaaaa-1"), 10);
    assertThat(state.latest().orElseThrow().path()).isEqualTo(savepoint);
  }
}
