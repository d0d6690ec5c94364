package dev.rillet.onnx;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.rillet.testutils.ModelRun;
import dev.rillet.testutils.TestModels;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

class SharedOrtTest {

  @Test
  void leasesOfOnePackageShareOneSessionUntilTheLastCloses() throws Exception {
    Path dir = TestModels.get("test-gru");
    assertThat(SharedOrt.references(dir, 1)).isZero();
    SharedCache.Lease<RecurrentModelPackage> first = SharedOrt.acquire(dir, 1);
    // A different spelling of the same folder is the same key.
    SharedCache.Lease<RecurrentModelPackage> second =
        SharedOrt.acquire(dir.resolve("..").resolve("test-gru"), 1);
    RecurrentModelPackage pkg = first.get();
    assertThat(second.get()).isSameAs(pkg);
    assertThat(SharedOrt.references(dir, 1)).isEqualTo(2);

    first.close();
    first.close(); // idempotent: must not release the second holder's claim
    assertThat(SharedOrt.references(dir, 1)).isEqualTo(1);
    assertThat(pkg.isClosed()).isFalse();
    assertThat(ModelRun.run(pkg, new long[] {2, 3}, 1, ModelRun.zeroStates(pkg, 1)).tags)
        .hasSize(2 * 17);
    assertThatThrownBy(first::get).isInstanceOf(IllegalStateException.class);

    second.close();
    assertThat(pkg.isClosed()).isTrue();
    assertThat(SharedOrt.references(dir, 1)).isZero();

    try (SharedCache.Lease<RecurrentModelPackage> again = SharedOrt.acquire(dir, 1)) {
      assertThat(again.get()).isNotSameAs(pkg);
      assertThat(again.get().isClosed()).isFalse();
    }
  }

  @Test
  void differentThreadCountsAndPackagesAreDifferentSessions() {
    try (SharedCache.Lease<RecurrentModelPackage> one =
            SharedOrt.acquire(TestModels.get("test-rnn"), 1);
        SharedCache.Lease<RecurrentModelPackage> two =
            SharedOrt.acquire(TestModels.get("test-rnn"), 2);
        SharedCache.Lease<RecurrentModelPackage> lstm =
            SharedOrt.acquire(TestModels.get("test-lstm"), 1)) {
      assertThat(one.get()).isNotSameAs(two.get());
      assertThat(lstm.get().cell()).isEqualTo(Cell.LSTM);
      assertThat(SharedOrt.references(TestModels.get("test-rnn"), 1)).isEqualTo(1);
    }
    assertThat(SharedOrt.references(TestModels.get("test-rnn"), 1)).isZero();
    assertThat(SharedOrt.references(TestModels.get("test-rnn"), 2)).isZero();
  }

  @Test
  void concurrentAcquiresLoadOnce() throws Exception {
    Path dir = TestModels.get("test-lstm");
    int threads = 8;
    CountDownLatch start = new CountDownLatch(1);
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    List<SharedCache.Lease<RecurrentModelPackage>> leases = new ArrayList<>();
    try {
      List<Future<SharedCache.Lease<RecurrentModelPackage>>> futures = new ArrayList<>();
      for (int i = 0; i < threads; i++) {
        Callable<SharedCache.Lease<RecurrentModelPackage>> task =
            () -> {
              start.await();
              return SharedOrt.acquire(dir, 3);
            };
        futures.add(pool.submit(task));
      }
      start.countDown();
      for (Future<SharedCache.Lease<RecurrentModelPackage>> f : futures) {
        leases.add(f.get());
      }
      RecurrentModelPackage pkg = leases.get(0).get();
      assertThat(leases).allSatisfy(l -> assertThat(l.get()).isSameAs(pkg));
      assertThat(SharedOrt.references(dir, 3)).isEqualTo(threads);
    } finally {
      pool.shutdownNow();
      leases.forEach(SharedCache.Lease::close);
    }
    assertThat(SharedOrt.references(dir, 3)).isZero();
  }

  @Test
  void invalidPackageIsNotCached() {
    Path missing = TestModels.root().resolve("no-such-package");
    assertThatThrownBy(() -> SharedOrt.acquire(missing, 1))
        .isInstanceOf(ModelPackageException.class)
        .hasMessageContaining("no-such-package");
    assertThatThrownBy(() -> SharedOrt.acquire(TestModels.get("test-gru"), 0))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
