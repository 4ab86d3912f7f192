# (STYLE.md: `assert expected == actual`, expected first.)
"""Meta-tests of where codes live, in the style of wemake-python-styleguide's violation modules: each family
module owns a block of codes, which modules share a hundred-block is written down here, and a module defines its
codes in code order. A new code goes in the block of the module that holds its check; a new block, or a new
module in a hundred-block, is a change to the tables below, made on purpose and reviewed."""

from __future__ import annotations

import collections

from monitoring_dsl.checks import REGISTRY

_CHECKS = "monitoring_dsl.checks."

# The block of codes each family module owns, as (first, last) inclusive. A hundred-block is split between
# modules in runs of codes; the last module of a hundred takes what is left of it, so a new code appended to
# that module needs no change here.
BLOCKS: dict[str, tuple[tuple[str, str], ...]] = {
    "metrics": (("M100", "M199"),),
    "promql": (("Q200", "Q229"),),
    "promql_aggregation": (("Q230", "Q299"),),
    "alerts": (("A300", "A319"),),
    "ruletests": (("A320", "A329"), ("R410", "R414")),
    "alert_conditions": (("A330", "A399"),),
    "rules": (("R400", "R409"),),
    "rule_order": (("R415", "R499"),),
    "dashboards": (("D500", "D529"),),
    "dashboard_options": (("D530", "D549"),),
    "dashboard_inventory": (("D550", "D599"),),
    "stack": (("S600", "S639"),),
    "slo": (("S640", "S699"),),
}

# Which modules share each hundred-block today (E0xx included: those codes are declared once, in code order, in
# `codes.py` (tests/test_codes.py), and documented beside the feature that emits them).
SHARED_BLOCKS: dict[str, frozenset[str]] = {
    "E0": frozenset({"spec_errors", "ruletests", "stack", "isolation"}),
    "M1": frozenset({"metrics"}),
    "Q2": frozenset({"promql", "promql_aggregation"}),
    "A3": frozenset({"alerts", "ruletests", "alert_conditions"}),
    "R4": frozenset({"rules", "ruletests", "rule_order"}),
    "D5": frozenset({"dashboards", "dashboard_options", "dashboard_inventory"}),
    "S6": frozenset({"stack", "slo"}),
}

# Codes defined out of code order within their module today. Moving a check within its module would reorder
# its diagnostics in the output, so these are recorded rather than fixed; the list may only shrink.
OUT_OF_ORDER: dict[str, frozenset[str]] = {
    "dashboards": frozenset({"D513"}),
    "promql": frozenset({"Q205", "Q210", "Q211", "Q212", "Q213", "Q215"}),
    "ruletests": frozenset({"R411"}),
}


def _module(code: str) -> str:
    module = REGISTRY[code].module
    assert module.startswith(_CHECKS), f"{code} is registered outside monitoring_dsl.checks: {module}"
    return module.removeprefix(_CHECKS)


def _in(code: str, first: str, last: str) -> bool:
    return code[0] == first[0] == last[0] and int(first[1:]) <= int(code[1:]) <= int(last[1:])


def _owners(code: str) -> list[str]:
    return [module for module, blocks in BLOCKS.items() if any(_in(code, *block) for block in blocks)]


def test_blocks_do_not_overlap() -> None:
    every_code = [f"{letter}{number:03d}" for letter in "MQARDS" for number in range(1000)]
    assert [] == [(code, owners) for code in every_code if len(owners := _owners(code)) > 1]


def test_each_check_code_lies_in_its_modules_block() -> None:
    misplaced = [
        (code, _module(code), _owners(code)) for code in REGISTRY if code[0] != "E" and _owners(code) != [_module(code)]
    ]
    assert [] == misplaced, "a code belongs in the block of the module that defines its check (see BLOCKS)"


def test_the_modules_sharing_each_hundred_block_are_the_documented_ones() -> None:
    sharing: dict[str, set[str]] = collections.defaultdict(set)
    for code in REGISTRY:
        sharing[code[:2]].add(_module(code))
    assert SHARED_BLOCKS == {block: frozenset(modules) for block, modules in sharing.items()}


def _by_module() -> dict[str, list[str]]:
    """Each module's codes in definition order: the registry is filled as the decorators run."""
    found: dict[str, list[str]] = collections.defaultdict(list)
    for code in REGISTRY:
        found[_module(code)].append(code)
    return found


def test_a_module_defines_its_codes_in_code_order() -> None:
    unordered = {}
    for module, codes in _by_module().items():
        for letter in dict.fromkeys(code[0] for code in codes):  # a module holding two families: each in order
            kept = [code for code in codes if code[0] == letter and code not in OUT_OF_ORDER.get(module, ())]
            if kept != sorted(kept):
                unordered[f"{module} {letter}"] = kept
    assert {} == unordered


def test_the_recorded_exceptions_are_still_needed() -> None:
    codes = _by_module()
    stale = {
        module: sorted(code for code in listed if code not in codes.get(module, ()))
        for module, listed in OUT_OF_ORDER.items()
    }
    assert {module: [] for module in OUT_OF_ORDER} == stale
    still_unordered = {
        module: [code for code in codes[module] if code[0] == next(iter(listed))[0]]
        for module, listed in OUT_OF_ORDER.items()
    }
    assert {module: False for module in OUT_OF_ORDER} == {
        module: found == sorted(found) for module, found in still_unordered.items()
    }
