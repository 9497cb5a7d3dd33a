"""The worked-example file format (chainrule/teaching/examples.py): one table of keys and trace fields
that the loader, the README, ``--help`` and ``chainrule new-example`` all come from."""

from __future__ import annotations

from pathlib import Path

import pytest

import chainrule as cr
from chainrule import cli
from chainrule.teaching.examples import (
    FILE_KEYS,
    PATH_FIELDS,
    WHY_STRINGS,
    example_from_dict,
    format_reference,
    load_example,
    template,
)
from chainrule.teaching.trace import TRACE_FIELDS, parse_path

try:
    import tomllib
except ImportError:  # Python 3.10
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")
MINIMAL = {"network": {"sizes": [2, 1]}, "step": {"inputs": [[0.5, 0.3]], "targets": [[1.0]], "learning_rate": 0.1}}


def test_the_path_fields_are_exactly_the_trace_fields_and_loss():
    assert list(PATH_FIELDS) == ["loss", *TRACE_FIELDS]


def test_every_example_path_addresses_a_value_of_a_2_2_1_network():
    net = cr.Network([2, 2, 1], seed=0)
    trace = net.explain([[0.35, 0.9]], [[0.5]], learning_rate=1.0)
    for name, (_, example) in PATH_FIELDS.items():
        key = parse_path(example, trace)
        assert (key is None) if name == "loss" else key[1] == name


@pytest.mark.parametrize("table", [t for t in FILE_KEYS if t not in ("layers", "steps")])
def test_the_loader_accepts_exactly_the_documented_keys(table):
    data = {"network": dict(MINIMAL["network"]), "step": dict(MINIMAL["step"])}
    target = data if not table else data[table]
    target["bogus"] = 1
    with pytest.raises(
        ValueError, match="unknown key 'bogus'; valid keys are: " + ", ".join(k.name for k in FILE_KEYS[table])
    ):
        example_from_dict(data)
    del target["bogus"]
    for key in FILE_KEYS[table]:
        if key.required:
            broken = {"network": dict(data["network"]), "step": dict(data["step"])}
            del (broken if not table else broken[table])[key.name]
            with pytest.raises(ValueError, match=f"is missing {key.name!r}"):
                example_from_dict(broken)


def test_the_documented_layer_keys_are_the_loaders():
    data = dict(MINIMAL, layers=[{"weights": [[0.2, 0.4]], "bias": [0.1], "bogus": 0}])
    with pytest.raises(ValueError, match="valid keys are: " + ", ".join(k.name for k in FILE_KEYS["layers"])):
        example_from_dict(data)


def test_the_documented_later_step_keys_are_the_loaders():
    later = {"inputs": [[0.5, 0.3]], "targets": [[1.0]], "published": {"loss": "0.1"}}
    with pytest.raises(ValueError, match="valid keys are: " + ", ".join(k.name for k in FILE_KEYS["steps"])):
        example_from_dict(dict(MINIMAL, steps=[dict(later, bogus=0)]))
    for key in FILE_KEYS["steps"]:
        if key.required:
            broken = {name: value for name, value in later.items() if name != key.name}
            with pytest.raises(ValueError, match=f"is missing {key.name!r}"):
                example_from_dict(dict(MINIMAL, steps=[broken]))


def test_every_key_example_is_valid_toml_for_its_key():
    for keys in FILE_KEYS.values():
        for key in keys:
            if key.name in ("network", "layers", "step", "steps"):
                tomllib.loads(key.example)  # a table's header
            elif key.name in ("published", "annotations", "determinations", "workings"):
                tomllib.loads(key.example)  # one entry: path = "string"
            else:
                tomllib.loads(f"x = {key.example}")


def test_the_readme_carries_the_reference_as_generated():
    assert format_reference(markdown=True) in README
    for keys in FILE_KEYS.values():
        for key in keys:
            assert f"| `{key.name}` |" in README
    for name in PATH_FIELDS:
        assert f"| `{name}` |" in README
    assert "Published values are strings" in README


@pytest.mark.parametrize("command", ["explain", "check", "new-example"])
def test_help_lists_every_key_and_trace_field(capsys, command):
    assert cli.main([command, "--help"]) == 0
    out = capsys.readouterr().out
    for keys in FILE_KEYS.values():
        for key in keys:
            assert f"  {key.name} " in out
    for name, (_, example) in PATH_FIELDS.items():
        assert f"  {name} " in out and example in out
    assert " ".join(WHY_STRINGS.split()[:6]) in " ".join(out.split())


@pytest.mark.parametrize(
    "kwargs",
    [
        {"sizes": [2, 3, 1]},
        {"sizes": [3, 2], "loss": "cross_entropy", "activation": "relu", "samples": 2},
        {"sizes": [2, 2, 2, 1], "bias": False, "reduction": "mean"},
        {"sizes": [4, 1], "loss": "binary_cross_entropy"},
    ],
)
def test_the_template_loads_explains_and_explains_each_key(tmp_path, kwargs):
    text = template(**kwargs)
    path = tmp_path / "mine.toml"
    path.write_text(text, encoding="utf-8")
    example = load_example(path)
    assert example.network.sizes == kwargs["sizes"]
    trace = example.explain()
    for table, keys in FILE_KEYS.items():
        for key in keys:
            if key.name in ("output_activation", "init", "seed") or (table == "layers" and key.name == "bias"):
                continue  # not written: the defaults serve (no bias without biases)
            assert key.meaning in text, (table, key.name)
    # Every commented [published] line is a path of this network's trace, one per field it has.
    commented = [line.split('"')[1] for line in text.splitlines() if line.startswith('# "') and '= "..."' in line]
    assert commented[0] == "loss"
    fields = [parse_path(p, trace) for p in commented[1:]]
    assert len({f[1] for f in fields}) == len(fields)
    assert {f[1] for f in fields} == {f for f in TRACE_FIELDS if any(getattr(t, f) is not None for t in trace.layers)}


def test_new_example_writes_the_template_and_never_overwrites(tmp_path, capsys):
    path = tmp_path / "mine.toml"
    assert cli.main(["new-example", "--sizes", "2,3,1", "-o", str(path)]) == 0
    assert path.read_text(encoding="utf-8") == template([2, 3, 1])
    assert cli.main(["explain", str(path)]) == 0
    path.write_text("my work\n")
    capsys.readouterr()
    assert cli.main(["new-example", "--sizes", "2,3,1", "-o", str(path)]) == 2
    assert "exists; it is left as it is" in capsys.readouterr().err
    assert path.read_text() == "my work\n"
    assert cli.main(["new-example", "--sizes", "2", "-o", str(tmp_path / "x.toml")]) == 2
    assert cli.main(["new-example", "--sizes", "2,1", "-o", str(tmp_path / "x.json")]) == 2
    assert "name it .toml" in capsys.readouterr().err
