"""benchmarks/peers.py runs (its --smoke mode) with or without JAX; no timing is checked here."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "benchmarks" / "peers.py"


def _run(*args: str, **variables: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, PYTHONPATH=str(ROOT / "src"), **variables)
    return subprocess.run(
        [sys.executable, str(SCRIPT), *args], capture_output=True, text=True, env=env, timeout=600, check=False
    )


def test_smoke_prints_every_table_and_says_which_peers_it_skipped():
    # set as some machines set them: the script runs itself again without them, and its BLAS line has no warning
    done = _run("--smoke", "--peers", "chainrule,jax,numpy,floor", OPENBLAS_CORETYPE="Haswell")
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert out.startswith("running again without OPENBLAS_CORETYPE=Haswell")
    assert "BLAS: " in out and "warning: OPENBLAS" not in out
    for heading in ("(a) 784-w-w/2-10", "(b) XOR 2-2-1", "(c) 3 XOR networks"):
        assert heading in out
    assert out.count("| cell | peer |") == 1 and out.count("| workload | peer |") == 2
    assert "| w 64, batch 32 | chainrule |" in out and "| w 64, batch 32 | floor |" in out
    assert "ended at the same weights" in out and "ended at the same 3 networks' weights" in out
    assert out.count("before: load average") == 3 and out.count("after: load average") == 3
    if importlib.util.find_spec("jax") is None:
        assert "skipped jax's rows: jax is not installed (make bench installs it in .bench-venv)" in out
        assert "| jax |" not in out
    else:
        assert "| XOR | jax |" in out
    if importlib.util.find_spec("numba") is None:
        assert "skipped the XOR tables' floor rows" in out
    else:
        assert "| XOR | floor |" in out


def test_unknown_peer_is_refused_naming_the_choices():
    done = _run("--smoke", "--peers", "chainrule,tensorflow")
    assert done.returncode == 2
    assert "unknown peers ['tensorflow']; choose from ['chainrule', 'torch', 'jax', 'sklearn', 'numpy', 'floor']" in (
        done.stderr
    )


def test_keep_blas_env_runs_with_the_variables_and_warns():
    done = _run("--smoke", "--tables", "xor", "--peers", "chainrule", "--keep-blas-env", OPENBLAS_CORETYPE="Haswell")
    assert done.returncode == 0, done.stderr
    assert "running again" not in done.stdout
    assert "warning: OPENBLAS_CORETYPE" in done.stdout
