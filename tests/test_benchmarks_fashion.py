"""benchmarks/fashion_mnist.py runs one short round on the real data, with or without JAX; no timing is checked."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest

import chainrule as cr

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "benchmarks" / "fashion_mnist.py"
_REAL = os.path.exists(os.path.join(cr.datasets.FASHION_MNIST_DIR, "train-labels-idx1-ubyte.gz"))


@pytest.mark.skipif(
    not _REAL,
    reason="Fashion-MNIST not installed: apt-get install dataset-fashion-mnist "
    "(make test does it via scripts/ensure-fashion-mnist.sh)",
)
def test_one_round_prints_the_table_with_its_ratios_and_says_what_it_skipped():
    env = dict(os.environ, PYTHONPATH=str(ROOT / "src"))
    done = subprocess.run(
        [sys.executable, str(SCRIPT), "--epochs", "1", "--rounds", "1", "--frameworks", "chainrule,jax,floor"],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    out = done.stdout
    header = next(line for line in out.splitlines() if line.startswith("framework"))
    for column in ("s/epoch", "best", "vs torch", "vs JAX", "vs floor", "test acc", "peak RSS"):
        assert column in header
    rows = {line.split()[0]: line.split() for line in out.splitlines()[out.splitlines().index(header) + 1 :]}
    assert rows["floor"][5] == "1.00x"  # the floor against itself; torch was not run: its ratio is "-"
    assert rows["chainrule"][3] == "-" and float(rows["chainrule"][6]) > 0.5  # test accuracy after one epoch
    if importlib.util.find_spec("jax") is None:
        assert "skipped jax: jax is not installed for" in out and "make bench installs it in .bench-venv" in out
        assert "jax" not in rows and rows["chainrule"][4] == "-"
    else:
        assert rows["jax"][4] == "1.00x" and rows["chainrule"][4].endswith("x")
