"""Atomic saves: a process killed (SIGKILL) while saving never leaves a broken file in place of a good one.

A child process saves two different networks over the same path, again
and again, as fast as it can; the parent kills it at a random moment,
then loads the path: it must be one of the two networks, whole, every
time. SIGKILL gives the child no chance to clean up, as a power cut or
the out-of-memory killer would not.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

import chainrule as cr

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")

SIZES = [300, 400, 10]  # ~1 MB of float64 weights: a save takes long enough to be killed inside

_CHILD = r"""
import sys
import chainrule as cr
path = sys.argv[1]
nets = [cr.Network([300, 400, 10], seed=s) for s in (1, 2)]
nets[0].save(path)
print("ready", flush=True)
i = 0
while True:
    i += 1
    nets[i % 2].save(path)
"""


def test_killing_a_saving_process_never_breaks_the_file(tmp_path):
    path = tmp_path / "model.npz"
    expected = [cr.Network(SIZES, seed=s).params for s in (1, 2)]
    rnd = random.Random(20240611)
    seen = set()
    for attempt in range(8):
        child = subprocess.Popen([sys.executable, "-c", _CHILD, str(path)], stdout=subprocess.PIPE, text=True)
        try:
            assert child.stdout.readline().strip() == "ready"
            time.sleep(rnd.uniform(0.0, 0.15))
        finally:
            os.kill(child.pid, signal.SIGKILL)
            child.wait(timeout=30)
            child.stdout.close()
        assert child.returncode == -signal.SIGKILL
        net = cr.load(path)  # whole, never half written
        matches = [i for i, vector in enumerate(expected) if np.array_equal(net.params, vector)]
        assert len(matches) == 1, f"attempt {attempt}: the file holds neither network"
        seen.add(matches[0])
    # Both networks were found in place at some kill: the saves were under way when killed.
    assert seen == {0, 1}
    # What a kill can leave behind is a hidden temporary file, never the model's name broken.
    assert all(name == "model.npz" or name.startswith(".chainrule-") for name in os.listdir(tmp_path))
