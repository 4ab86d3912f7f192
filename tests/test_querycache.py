# (STYLE.md: `assert expected == actual`, expected first.)
"""What was learnt of each query, kept between runs (querycache.py, promql/remembered.py, promql/codec.py):
a run that recalls it gives the findings and output of a run that does not, parses and analyses only the
queries whose text is new, and a damaged, foreign or unwritable cache costs the work and nothing more."""

from __future__ import annotations

import marshal
import math
import os
import random
from collections.abc import Iterator
from pathlib import Path

import attrs
import pytest

from monitoring_dsl import querycache
from monitoring_dsl.compiler import compile_specs, lint
from monitoring_dsl.diagnostics import Diagnostic
from monitoring_dsl.load.bytecode import CACHE_DIR
from monitoring_dsl.model.settings import Settings
from monitoring_dsl.promql import analysis, codec, parse, parser, remembered
from monitoring_dsl.sources import Sources
from tests.conftest import run_cli, write_specs
from tests.test_parallel import MIXED
from tests.test_promql import _random_query

GOLDEN = Path(__file__).parent / "golden"
CASES = sorted(p.name for p in GOLDEN.iterdir() if (p / "specs").is_dir())

# Every kind of verdict and fact: a syntax error, a refused number, -0 (which equals 0), a feature of newer
# versions, ranges, subqueries, groupings and a Grafana variable.
ODD = {
    "odd.py": """\
from monitoring_dsl import Alert, Counter, Dashboard, TimeSeries, Gauge

jobs = Counter("jobs_total", "Jobs", labels=["queue"])
depth = Gauge("queue_depth", "Depth", labels=["queue"])
broken = Alert("Broken", "sum(rate(jobs_total[5m]) > 1", for_="5m", severity="page", summary="x")
huge = Alert("Huge", "queue_depth > 1e400", for_="5m", severity="page", summary="x")
zero = Alert("Zero", "topk(-0, queue_depth) > 0 and topk(0, queue_depth) > 0", for_="5m", severity="page",
             summary="x")
newer = Alert("Newer", "sum by (queue) (rate(jobs_total[5m] smoothed)) > 1", for_="5m", severity="page",
              summary="x")
d = Dashboard("Jobs", panels=[
    TimeSeries("Rate", "max_over_time(sum by (queue) (rate(jobs_total{queue=~\\"$queue\\"}[$__rate_interval]))[1h:])"),
    TimeSeries("Depth", "histogram_quantile(0.9, sum by (le) (rate(jobs_total[5m])))"),
])
""",
}


@pytest.fixture(autouse=True)
def fresh() -> Iterator[None]:
    """Each test starts as a new process would, and leaves nothing recalled behind."""
    remembered.forget()
    yield
    remembered.forget()


def _record(diagnostics: list[Diagnostic]) -> list[tuple[object, ...]]:
    return [(d.code, d.severity, d.message, d.location, d.span, d.help, d.related) for d in diagnostics]


def _compiled(root: Path, jobs: int, cache: Path | None) -> tuple[list[tuple[object, ...]], object]:
    remembered.forget()  # as a new process: nothing parsed, nothing recalled
    result = compile_specs([root / "specs"], root, Sources(), jobs=jobs, cache_dir=cache)
    return _record(result.diagnostics), result.artifacts


def _project(tmp_path: Path, case: str) -> Path:
    if case in CASES:
        return GOLDEN / case
    return write_specs(tmp_path, MIXED if case == "mixed" else ODD)


@pytest.mark.parametrize("case", [*CASES, "mixed", "odd"])
def test_cached_and_plain_runs_give_the_same_findings_and_output(tmp_path: Path, case: str) -> None:
    """No cache, a cold cache, then a warm one, in one process and two: findings and output bytes alike."""
    root = _project(tmp_path, case)
    cache = tmp_path / "cache"
    plain = _compiled(root, 1, None)
    assert plain == _compiled(root, 1, cache)  # cold: computes and writes
    assert (cache / querycache.FILENAME).is_file()
    assert plain == _compiled(root, 1, cache)  # warm
    assert plain == _compiled(root, 2, cache)
    (cache / querycache.FILENAME).unlink()
    assert plain == _compiled(root, 2, cache)  # cold, written by the child
    assert plain == _compiled(root, 1, cache)


def _counting(monkeypatch: pytest.MonkeyPatch) -> tuple[list[str], list[str]]:
    """Record every text parsed from scratch and every text whose facts were computed."""
    judged: list[str] = []
    analysed: list[str] = []
    judge, collect = parser._judge, analysis._collect_selectors

    def counting_judge(text: str) -> object:
        judged.append(text)
        return judge(text)

    def counting_collect(root: object, found: list[object]) -> None:
        analysed.append(str(root))
        collect(root, found)

    monkeypatch.setattr(parser, "_judge", counting_judge)
    monkeypatch.setattr(analysis, "_collect_selectors", counting_collect)
    return judged, analysed


def test_a_warm_run_parses_and_analyses_only_new_texts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A warm run judges no text, analyses none, and never builds a tree: every fact it asks for is kept."""
    root = write_specs(tmp_path, ODD)
    cache = tmp_path / "cache"
    judged, analysed = _counting(monkeypatch)
    trees: list[str] = []
    native = parser._native_parse

    def counting_native(text: str) -> object:
        trees.append(text)
        return native(text)

    monkeypatch.setattr(parser, "_native_parse", counting_native)
    first = _compiled(root, 1, cache)
    assert judged and analysed and trees
    judged.clear()
    analysed.clear()
    trees.clear()
    assert first == _compiled(root, 1, cache)
    assert ([], [], []) == (judged, analysed, trees)
    spec = root / "specs" / "odd.py"
    spec.write_text(spec.read_text().replace("queue_depth > 1e400", "queue_depth > 100"))
    edited = _compiled(root, 1, cache)
    assert ["queue_depth > 100"] == judged
    assert 1 == len(analysed)
    assert first != edited  # the refused number's finding is gone


def test_recalled_facts_equal_computed_ones(tmp_path: Path) -> None:
    """Every fact of 400 random queries of every node kind, through the file and back, equals the fact
    computed afresh; -0 is kept as 0, so a fact looked up by equality is the one computed."""
    rng = random.Random(5)
    texts = sorted({_random_query(rng, rng.randint(0, 6)) for _ in range(400)} | {"topk(-0, x)", "topk(0, x)"})
    computed = {}
    for text in texts:
        parsed = parse(text)
        if isinstance(parsed, parser.Parsed):
            analysis.analyse(parsed)
            computed[text] = _facts(parsed)
    assert len(computed) > 200
    assert querycache.save(tmp_path, texts)
    remembered.forget()
    assert querycache.recall(tmp_path)
    assert {text: _facts(parse(text)) for text in computed} == computed  # type: ignore[arg-type]
    assert not analysis.ANALYSED  # nothing was computed again
    numbers = [repr(_facts(parse(text))[1][0].path[0].number) for text in ("topk(-0, x)", "topk(0, x)")]  # type: ignore[arg-type]
    assert ["0.0", "0.0"] == numbers  # -0.0 equals 0.0, so one would have been recalled as the other


def _facts(parsed: parser.Parsed) -> tuple[object, ...]:
    return tuple(table(parsed) for table in FACTS)


FACTS = (
    analysis.selectors,
    analysis.series_uses,
    analysis.features,
    analysis.range_arguments,
    analysis.function_names,
    analysis.aggregation_operators,
)


@pytest.mark.parametrize("damage", ["payload", "fingerprint", "truncated", "not marshal", "empty"])
def test_a_damaged_or_foreign_cache_is_ignored_and_rewritten(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, damage: str
) -> None:
    root = write_specs(tmp_path, ODD)
    cache = tmp_path / "cache"
    expected = _compiled(root, 1, cache)
    path = cache / querycache.FILENAME
    good = path.read_bytes()
    head = len(querycache.MAGIC) + 64
    data = {
        "payload": good[:-10] + bytes(b ^ 0xFF for b in good[-10:]),
        "fingerprint": good[: len(querycache.MAGIC)] + b"\0" * 32 + good[len(querycache.MAGIC) + 32 :],
        "truncated": good[: head + 100],
        "not marshal": good[:head] + b"\xff" * 50,
        "empty": b"",
    }[damage]
    path.write_bytes(data)
    judged, _ = _counting(monkeypatch)
    assert expected == _compiled(root, 1, cache)
    assert judged  # nothing was taken from the damaged file
    assert good == path.read_bytes()  # and it was written again, as before


def test_valid_data_of_another_shape_is_refused() -> None:
    assert not remembered.recall({"format": remembered.FORMAT + 1})
    assert not remembered.recall({"format": remembered.FORMAT, "verdicts": {"x": 3}, "analysed": [], "facts": {}})
    bad_table = {"format": remembered.FORMAT, "verdicts": {}, "analysed": [], "facts": {}, "objects": [[99, 1]]}
    assert not remembered.recall(bad_table)
    assert not remembered.recall([1, 2])
    assert not parser.RECALLED


def test_an_unwritable_cache_costs_the_work_only(tmp_path: Path) -> None:
    root = write_specs(tmp_path, ODD)
    blocked = tmp_path / "cache"
    blocked.write_text("a file where the cache directory would go\n")
    assert _compiled(root, 1, None) == _compiled(root, 1, blocked)


def test_a_run_over_part_of_a_project_keeps_what_it_did_not_meet(tmp_path: Path) -> None:
    """Linting one module after the whole project still leaves every query of the project kept."""
    root = write_specs(tmp_path, {**ODD, **MIXED})
    cache = tmp_path / "cache"
    _compiled(root, 1, cache)
    everything = set(_kept(cache)["verdicts"])
    remembered.forget()
    spec = root / "specs" / "api.py"
    spec.write_text(spec.read_text().replace("> 10", "> 11"))
    lint([spec], root, Sources(), Settings(), cache_dir=cache)
    kept = set(_kept(cache)["verdicts"])
    assert "sum(rate(http_requests_total[1m])) > 11" in kept
    assert everything - {"sum(rate(http_requests_total[1m])) > 10"} <= kept


def _kept(cache: Path) -> dict[str, object]:
    data = (cache / querycache.FILENAME).read_bytes()
    kept = marshal.loads(data[len(querycache.MAGIC) + 64 :])
    assert isinstance(kept, dict)
    return kept


def test_the_cli_keeps_queries_unless_told_not_to(tmp_path: Path) -> None:
    root = write_specs(tmp_path, ODD)
    run_cli("lint", "--no-cache", "specs", cwd=root)
    assert not (root / CACHE_DIR / querycache.FILENAME).exists()
    run_cli("lint", "specs", cwd=root)
    assert (root / CACHE_DIR / querycache.FILENAME).is_file()


def test_the_codec_refuses_what_no_fact_holds() -> None:
    encoder = codec.Encoder(analysis.FACT_KINDS)
    with pytest.raises(TypeError):
        encoder.encode([1, 2])
    with pytest.raises(TypeError):
        encoder.encode(frozenset({1}))
    with pytest.raises(TypeError):
        encoder.encode({"a"})
    assert frozenset({"a"}) == encoder.encode(frozenset({"a"}))  # a set of labels is kept as it is
    with pytest.raises(ValueError):
        codec.decode([1, 2], [])


def _inferring(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    """Record every inference of a subtree's labels."""
    calls: list[object] = []
    infer = analysis._labels

    def counting(root: object, labels_of: object) -> object:
        calls.append(root)
        return infer(root, labels_of)  # type: ignore[arg-type]

    monkeypatch.setattr(analysis, "_labels", counting)
    return calls


@pytest.mark.parametrize("jobs", [1, 2])
def test_labels_are_inferred_again_only_when_a_series_changes_its_labels(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, jobs: int
) -> None:
    """A warm run infers no labels, in one process or two (the child hands what it inferred to its parent);
    a label declared on a metric changes the labels of every query of it, which are inferred again, and the
    findings are those of a run with no cache."""
    root = write_specs(tmp_path, ODD)
    cache = tmp_path / "cache"
    inferred = _inferring(monkeypatch)
    first = _compiled(root, jobs, cache)
    assert inferred
    assert (cache / querycache.LABELS_FILENAME).is_file()
    inferred.clear()
    assert first == _compiled(root, jobs, cache)
    assert [] == inferred
    spec = root / "specs" / "odd.py"
    spec.write_text(
        spec.read_text().replace(
            'Gauge("queue_depth", "Depth", labels=["queue"])',
            'Gauge("queue_depth", "Depth", labels=["queue", "shard"])',
        )
    )
    edited = _compiled(root, jobs, cache)
    assert inferred
    assert _compiled(root, jobs, None) == edited


def test_a_child_that_dies_leaves_the_keeping_to_its_parent(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The child that would write the verdicts and facts dies: this process writes them, and the next run
    takes them back."""
    root = write_specs(tmp_path, ODD)
    cache = tmp_path / "cache"
    parent = os.getpid()
    real = querycache.Keeper.queries

    def dying(self: querycache.Keeper) -> bool:
        if os.getpid() != parent:
            os._exit(3)
        return real(self)

    monkeypatch.setattr(querycache.Keeper, "queries", dying)
    expected = _compiled(root, 1, None)
    assert expected == _compiled(root, 2, cache)
    assert {querycache.FILENAME, querycache.LABELS_FILENAME} <= {p.name for p in cache.iterdir()}
    judged, _ = _counting(monkeypatch)
    assert expected == _compiled(root, 2, cache)
    assert [] == judged


def _floats(value: object) -> list[float]:
    """Every float inside a fact, however deep."""
    if isinstance(value, float):
        return [value]
    if isinstance(value, (tuple, list, frozenset)):
        return [f for item in value for f in _floats(item)]
    if attrs.has(type(value)):
        return [f for field in attrs.fields(type(value)) for f in _floats(getattr(value, field.name))]
    return []


def test_no_fact_holds_negative_zero() -> None:
    """The codec looks facts up by equality, and -0.0 == 0.0: a fact holding -0.0 could come back as one
    holding 0.0. Every fact of queries that write -0 wherever a number goes holds 0.0 instead."""
    texts = [
        "x > -0",
        "-0 < x",
        "topk(-0, x) > -0.0",
        "quantile(-0, rate(x[5m])) > bool -0",
        "x > -0 and on (a) y * -0",
        "histogram_quantile(-0, sum by (le) (rate(x_bucket[5m]))) > -0",
    ]
    found = []
    for text in texts:
        parsed = parse(text)
        assert isinstance(parsed, parser.Parsed), text
        facts = [table(parsed) for table in FACTS]
        facts += [analysis.threshold(parsed), analysis.has_condition(parsed)]
        facts += [analysis.output_labels(parsed, lambda _name: frozenset({"a"}))]
        facts += [analysis.binary_operations(parsed, lambda _name: frozenset({"a"}))]
        found += _floats(facts)
    zeros = [f for f in found if f == 0.0]
    assert zeros  # the queries do put zeros into facts
    assert [] == [f for f in zeros if math.copysign(1.0, f) < 0]


MANY = {
    "many.py": """\
from monitoring_dsl import Alert, Gauge

depth = Gauge("queue_depth", "Depth", labels=["queue"])
alerts = [Alert(f"Deep{i}", f"max by (queue) (queue_depth) > {i}", for_="5m", severity="warning", summary="deep")
          for i in range(400)]
""",
}


def test_a_few_new_texts_are_learnt_again_rather_than_written(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """One text new among 400 is not worth rewriting both files (REWRITE_SHARE): the next run learns it again,
    and finds what a run without a cache finds. Two are worth it."""
    root = write_specs(tmp_path, MANY)
    cache = tmp_path / "cache"
    _compiled(root, 1, cache)
    written = {name: (cache / name).read_bytes() for name in (querycache.FILENAME, querycache.LABELS_FILENAME)}
    spec = root / "specs" / "many.py"
    spec.write_text(spec.read_text().replace("range(400)", "range(401)"))
    judged, _ = _counting(monkeypatch)
    for _run in range(2):
        plain = _compiled(root, 1, None)
        judged.clear()
        assert plain == _compiled(root, 1, cache)
        assert written == {name: (cache / name).read_bytes() for name in written}
        assert ["max by (queue) (queue_depth) > 400"] == [text for text in judged if text.endswith("400")]
    spec.write_text(spec.read_text().replace("range(401)", "range(402)"))
    assert _compiled(root, 1, None) == _compiled(root, 1, cache)
    assert all(written[name] != (cache / name).read_bytes() for name in written)
    judged.clear()
    _compiled(root, 1, cache)
    assert [] == judged
