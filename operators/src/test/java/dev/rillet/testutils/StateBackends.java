package dev.rillet.testutils;

import org.apache.flink.runtime.state.StateBackend;
import org.apache.flink.runtime.state.hashmap.HashMapStateBackend;
import org.apache.flink.state.rocksdb.EmbeddedRocksDBStateBackend;
import org.apache.flink.streaming.util.AbstractStreamOperatorTestHarness;

/**
 * The keyed state backends Rillet runs on, for tests that must hold on both: the heap backend
 * restores state by reading all of it with the snapshot's serializers, RocksDB keeps the bytes and
 * rewrites them on restore when a serializer needs migration.
 */
public enum StateBackends {
  HEAP {
    @Override
    public StateBackend create() {
      return new HashMapStateBackend();
    }
  },
  ROCKSDB {
    @Override
    public StateBackend create() {
      return new EmbeddedRocksDBStateBackend();
    }
  };

  public abstract StateBackend create();

  /** Sets this backend on {@code harness}, before its {@code setup()} or state initialization. */
  public <H extends AbstractStreamOperatorTestHarness<?>> H on(H harness) {
    harness.setStateBackend(create());
    return harness;
  }
}
