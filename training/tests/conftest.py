import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import os

import pytest

DATA_HINT = "set RILLET_DATA=<path to shared/data> to run"


def data_root():
    """$RILLET_DATA; tests that need the shared data are skipped when it is unset."""
    env = os.environ.get("RILLET_DATA")
    if not env:
        pytest.skip(DATA_HINT)
    return Path(env)


def fixture_dir():
    d = data_root() / "elmo-fixture"
    if not (d / "lm_weights.hdf5").is_file():
        pytest.skip(f"no ELMo fixture under {d}; {DATA_HINT}")
    return d
