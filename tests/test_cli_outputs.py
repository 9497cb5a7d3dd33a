"""Tests for the files written beside a training run and read back (chainrule/cli/outputs.py)."""

from __future__ import annotations

import json

import numpy as np
import pytest

import chainrule as cr
from chainrule.cli.outputs import HISTORY_FIELDS, read_history, write_html_report


@pytest.fixture
def trained():
    X, Y = cr.datasets.xor()
    net = cr.Network([2, 3, 1], activation="sigmoid", seed=0)
    history = net.fit(X, Y, epochs=3, learning_rate=0.5, batch_size=4, progress=False)
    return net, history


def test_read_history_fills_missing_lists(tmp_path):
    path = tmp_path / "history.json"
    path.write_text(json.dumps({"epochs": [1, 2], "loss": [0.5, 0.25]}))
    history = read_history(str(path))
    assert history.loss == [0.5, 0.25] and history.epochs == [1, 2]
    assert all(getattr(history, name) == [] for name in HISTORY_FIELDS[2:])


@pytest.mark.parametrize("content", ["[1, 2]", '{"accuracy": [1]}'])
def test_read_history_refuses_other_json(tmp_path, content):
    (tmp_path / "h.json").write_text(content)
    with pytest.raises(ValueError, match=r"h.json: not a history file \(a JSON object with a 'loss' list\)"):
        read_history(str(tmp_path / "h.json"))


def test_read_history_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError):
        read_history(str(tmp_path / "missing.json"))


def test_write_html_report(trained, tmp_path):
    net, history = trained
    path = write_html_report(net, history, str(tmp_path / "report"), settings={"epochs": 3})
    assert path == tmp_path / "report" / "report.html"
    page = path.read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") or page.lstrip().lower().startswith("<!doctype html>")
    assert "Training report" in page


def test_history_fields_match_the_history(trained):
    _, history = trained
    assert all(np.ndim(getattr(history, name)) == 1 for name in HISTORY_FIELDS if getattr(history, name))
