# (STYLE.md: `assert expected == actual`, expected first.)
"""emit/serialize.py writes indented JSON itself, faster than the json module: the same characters for every
value, and what it does not model goes to the json module, which encodes it or raises as it always did."""

from __future__ import annotations

import json
import math
import random
from pathlib import Path
from typing import Any

import pytest

from monitoring_dsl.compiler import compile_specs
from monitoring_dsl.emit.serialize import indented_json
from monitoring_dsl.sources import Sources

GOLDEN = Path(__file__).parent / "golden"
CASES = sorted(p.name for p in GOLDEN.iterdir() if (p / "specs").is_dir())
STRINGS = ["", "a", 'quo"te', "back\\slash", "new\nline", "tab\t", "\x00\x1f", "é漢😀", "\u2028", "</script>"]
NUMBERS = [0, 1, -1, 2**70, 0.0, -0.0, 1.5, 1e16, 1e-7, 123456789.123, -2.5e-300, True, False, None]


def _stdlib(value: Any) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False, allow_nan=False)


def _random_value(rng: random.Random, depth: int) -> Any:
    choice = rng.randrange(6 if depth > 0 else 2)
    if choice == 0:
        return rng.choice(STRINGS)
    if choice == 1:
        return rng.choice(NUMBERS)
    size = rng.randrange(4)
    if choice in (2, 3):
        return {rng.choice(STRINGS) + str(i): _random_value(rng, depth - 1) for i in range(size)}
    if choice == 4:
        return [_random_value(rng, depth - 1) for _ in range(size)]
    return tuple(_random_value(rng, depth - 1) for _ in range(size))


def test_random_plain_values_give_the_json_modules_characters() -> None:
    rng = random.Random(7)
    values = [_random_value(rng, 5) for _ in range(2000)]
    assert [_stdlib(v) for v in values] == [indented_json(v) for v in values]


@pytest.mark.parametrize(
    "value",
    [
        {1: "int key"},
        {None: "x", True: "y", 2.5: "z"},
        [math.nan],
        {"a": [math.inf]},
        {"a": -math.inf},
        type("Text", (str,), {})("a str subclass"),
        [type("Count", (int,), {})(3)],
    ],
    ids=["int key", "other keys", "nan", "inf", "-inf", "str subclass", "int subclass"],
)
def test_what_it_does_not_model_goes_to_the_json_module(value: Any) -> None:
    try:
        expected: object = _stdlib(value)
    except ValueError as error:
        with pytest.raises(ValueError, match="Out of range float"):
            indented_json(value)
        assert "Out of range float" in str(error)
        return
    assert expected == indented_json(value)


def test_a_cycle_raises_as_the_json_module_does() -> None:
    cycle: list[Any] = []
    cycle.append(cycle)
    with pytest.raises(ValueError, match="Circular reference"):
        indented_json(cycle)


def test_every_json_file_of_the_golden_specs_reads_back_to_the_same_bytes() -> None:
    """Each emitted JSON file (dashboards, provisioning), read and dumped again by the json module, gives its
    own bytes."""
    checked = []
    for case in CASES:
        result = compile_specs([GOLDEN / case / "specs"], GOLDEN / case, Sources(), jobs=1)
        assert result.artifacts is not None, case
        for name, data in result.artifacts.items():
            if name.endswith(".json"):
                assert data.decode() == _stdlib(json.loads(data)) + "\n", f"{case}: {name}"
                checked.append(name)
    assert len(checked) >= 6, checked  # the golden specs emit six dashboards
