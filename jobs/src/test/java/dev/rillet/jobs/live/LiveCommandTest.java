package dev.rillet.jobs.live;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.rillet.jobs.pipeline.StateDirectory;
import dev.rillet.jobs.pipeline.StateOptions;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import org.apache.flink.configuration.Configuration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What {@code rillet live} restores from: {@code --from-savepoint}, the latest completed checkpoint
 * or savepoint in its state directory, or nothing ({@code --fresh}).
 */
class LiveCommandTest {
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
  void restorePointSaysWhatItChose() throws IOException {
    StateDirectory state = new StateDirectory(root);
    Configuration conf = new Configuration();
    assertThat(LiveCommand.restorePoint(conf, state, quiet())).isNull();
    assertThat(messages(conf, state)).contains("starting fresh").contains("holds no completed");

    Path chk = completed(state.checkpoints().resolve("job-a/chk-7"), 10);
    assertThat(LiveCommand.restorePoint(conf, state, quiet())).isEqualTo(chk.toString());
    assertThat(messages(conf, state)).contains("resuming from checkpoint " + chk);

    conf.set(StateOptions.FRESH, true);
    assertThat(LiveCommand.restorePoint(conf, state, quiet())).isNull();
    assertThat(messages(conf, state))
        .contains("ignoring the 1 completed")
        .contains("may be repeated downstream");
  }

  @Test
  void fromSavepointIsCheckedAndWins() throws IOException {
    StateDirectory state = new StateDirectory(root.resolve("state"));
    completed(state.checkpoints().resolve("job-a/chk-7"), 50);
    Path elsewhere = completed(root.resolve("elsewhere/savepoint-x"), 10);
    Configuration conf = new Configuration();
    conf.set(StateOptions.FROM_SAVEPOINT, elsewhere.resolve("_metadata").toString());
    assertThat(LiveCommand.restorePoint(conf, state, quiet())).isEqualTo(elsewhere.toString());
    conf.set(StateOptions.FROM_SAVEPOINT, elsewhere.toUri().toString());
    assertThat(LiveCommand.restorePoint(conf, state, quiet())).isEqualTo(elsewhere.toString());

    conf.set(StateOptions.FROM_SAVEPOINT, root.resolve("nothing-here").toString());
    assertThatThrownBy(() -> LiveCommand.restorePoint(conf, state, quiet()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("no completed savepoint or checkpoint");

    conf.set(StateOptions.FROM_SAVEPOINT, elsewhere.toString());
    conf.set(StateOptions.FRESH, true);
    assertThatThrownBy(() -> LiveCommand.restorePoint(conf, state, quiet()))
        .hasMessageContaining("contradict");
  }

  private static PrintStream quiet() {
    return new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8);
  }

  private static String messages(Configuration conf, StateDirectory state) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    LiveCommand.restorePoint(conf, state, new PrintStream(out, true, StandardCharsets.UTF_8));
    return out.toString(StandardCharsets.UTF_8);
  }
}
