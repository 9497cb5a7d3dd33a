"""The corpus of published worked examples (tests/worked/): the checker's verdicts equal the hand judgements.

Each file holds a tutorial's numbers as printed and, written by hand before
the checker ever ran on it, a determination for every number (``[determinations]``)
with the working behind it (``[workings]``). The checker must match them:
the same verdict, the same named slip, the same first wrong number followed.
"""

from __future__ import annotations

import re
from decimal import ROUND_DOWN, ROUND_HALF_EVEN, ROUND_HALF_UP, Decimal
from pathlib import Path

import pytest

import chainrule as cr

CORPUS = sorted((Path(__file__).resolve().parent / "worked").glob("*.toml"))


def verdicts(report) -> dict[str, str]:
    """The report in the determinations' words."""
    out = {a.path: "agrees" for a in report.agreements}
    for d in report.disagreements:
        out[d.path] = {
            "rounding": "rounding",
            "convention": "convention sign",
            "slip": f"slip {d.slips[0] if d.slips else ''}",
            "follows": f"follows {d.follows_from}",
            "error": "error",
        }[d.kind]
    return out


def test_the_corpus_holds_at_least_twelve_published_examples():
    assert len(CORPUS) >= 12
    for path in CORPUS:
        example = cr.load_example(path)
        assert example.source and example.published
        assert set(example.determinations) == set(example.published), f"{path.name}: a number without a judgement"
        assert set(example.workings) >= {p for p, v in example.determinations.items() if v != "agrees"}


@pytest.mark.parametrize("path", CORPUS, ids=[p.stem for p in CORPUS])
def test_the_checker_agrees_with_the_hand_determinations(path):
    example = cr.load_example(path)
    report = example.check()
    got = verdicts(report)
    wrong = {p: (want, got.get(p)) for p, want in example.determinations.items() if got.get(p) != want}
    assert not wrong, "\n".join(
        f"{p}: judged {want!r}, checker {have!r}: "
        + next((d.diagnosis for d in report.disagreements if d.path == p), "agrees")
        for p, (want, have) in wrong.items()
    )


_GIVES = re.compile(r"it gives (\S+?), which reads (\S+?)( \(truncated, not rounded\))?(?:[;,)]|$| \()")
_RANGES = re.compile(
    r"ranges over (\S+) to (\S+), which includes numbers that read (\S+?)( \(truncated, not rounded\))?(?:[;,)]|$| \()"
)
_NOT = re.compile(r"= (\S+), not (\S+) \(redone")


def _reads(value: str, printed: str, truncated: bool) -> bool:
    v, p = Decimal(value), Decimal(printed)
    step = Decimal(1).scaleb(p.as_tuple().exponent)
    modes = (ROUND_DOWN,) if truncated else (ROUND_HALF_EVEN, ROUND_HALF_UP)
    return any(v.quantize(step, rounding=m) == p for m in modes)


def false_sentences(diagnosis: str) -> list[str]:
    """The claims of a diagnosis that its own printed numbers contradict."""
    bad = []
    for value, printed, trunc in _GIVES.findall(diagnosis):
        if not _reads(value, printed, bool(trunc)):
            bad.append(f"{value} does not read {printed}")
    for lo, hi, printed, trunc in _RANGES.findall(diagnosis):
        p = Decimal(printed)
        h = Decimal(1).scaleb(p.as_tuple().exponent)
        lo_d, hi_d = Decimal(lo), Decimal(hi)
        if trunc:
            cut = (p - h, p) if printed.startswith("-") else (p, p + h)
            ok = lo_d < cut[1] and hi_d >= cut[0]
        else:
            ok = lo_d <= p + h / 2 and hi_d >= p - h / 2
        if not ok:
            bad.append(f"[{lo}, {hi}] holds nothing that reads {printed}")
    for value, printed in _NOT.findall(diagnosis):
        if _reads(value, printed, False):
            bad.append(f"{value} does read {printed}")
    return bad


@pytest.mark.parametrize("path", CORPUS, ids=[p.stem for p in CORPUS])
def test_no_diagnosis_says_a_false_sentence(path):
    report = cr.load_example(path).check()
    checked = [d for d in report.disagreements if "it gives" in d.diagnosis or ", not " in d.diagnosis]
    assert checked or not report.disagreements
    for d in report.disagreements:
        assert not false_sentences(d.diagnosis), (d.path, d.diagnosis)


def test_the_false_sentence_finder_finds_false_sentences():
    assert false_sentences("rounding: ... it gives -0.3580038, which reads -0.3576")
    assert not false_sentences("rounding: ... it gives -0.3576038, which reads -0.3576")
    assert false_sentences("it gives 0.5; ..., it ranges over 0.51 to 0.52, which includes numbers that read 0.50")
    assert false_sentences("arithmetic error: 0.1 + 0.22 = 0.32, not 0.32 (redone ...)")
