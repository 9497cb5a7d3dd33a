"""The README's Python examples run, so the tour can never rot."""

import re
from pathlib import Path

import numpy as np
import pytest

README = Path(__file__).resolve().parents[1] / "README.md"
BLOCKS = re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), flags=re.S)


def test_readme_opens_with_the_two_commands():
    lines = [line.strip() for line in README.read_text(encoding="utf-8").splitlines() if line.strip()]
    first_code = lines[lines.index("```") + 1 : lines.index("```") + 3]
    assert first_code[0].startswith("make demo")
    assert first_code[1].startswith("make test")


@pytest.mark.parametrize("index", range(len(BLOCKS)))
def test_readme_python_block_runs(index, capsys):
    namespace: dict = {}
    exec(compile(BLOCKS[index], f"README.md block {index}", "exec"), namespace)
    # a comment "# prints X" after a print() is a claim: X is a line of the output
    printed = capsys.readouterr().out.splitlines()
    for claim in re.findall(r"^print\(.*?\)\s+# prints (.*)$", BLOCKS[index], flags=re.M):
        assert claim.strip() in printed, f"README block {index} claims it prints {claim.strip()!r}"
    net = namespace.get("net")
    if net is not None and index == 0:
        # The tour's claims: XOR learnt from seed 1, gradients agree with finite differences.
        X, Y = np.asarray(namespace["X"], float), np.asarray(namespace["Y"], float)
        assert ((net.predict(X) > 0.5) == (Y > 0.5)).all()
        assert max(namespace["cr"].gradcheck(net, X, Y).values()) < 1e-6


def test_readme_has_python_examples():
    assert BLOCKS, "README.md should carry at least one ```python example"


def test_readme_lists_every_slip_the_checker_names():
    from chainrule.teaching.checker import SLIPS

    text = README.read_text(encoding="utf-8")
    table = text[text.index("| slip | what the tutorial did |") :].split("\n\n")[0]
    rows = re.findall(r"^\| `([a-z_]+)` \| (.*) \|$", table, flags=re.M)
    assert rows == list(SLIPS.items())
