"""Fuzzing the PromQL path: no text, however broken, makes parsing, analysis or a check raise or hang.

Two kinds of input: random text, and near-valid PromQL made by mutating real queries (from the real-world
corpus and from the check cases) with cuts, repeats and tokens that PromQL and Grafana give meaning to.
Each goes through the parser, Grafana substitution, every analysis function, and a full check run over a
project whose alert, record, panel and variable all use it, with and without a catalog.
"""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from monitoring_dsl.checks import CheckContext, run_checks
from monitoring_dsl.model.dashboards import Dashboard, Target, TimeSeries, Variable
from monitoring_dsl.model.metrics import Counter, Gauge, Histogram, Summary
from monitoring_dsl.model.project import Declared, Project, SpecModule
from monitoring_dsl.model.rules import Alert, Record
from monitoring_dsl.promql import (
    LabelSet,
    Parsed,
    VariableInfo,
    binary_operations,
    features,
    function_names,
    groupings,
    output_labels,
    parse,
    range_arguments,
    selectors,
    series_uses,
    substitute,
    top_aggregation,
)

# Real queries, as the corpus under /work/shared/realworld and the check cases write them.
SEEDS = [
    'topk($topk, rate(ceph_pool_wr{cluster=~"$cluster|", }[$__rate_interval]) + on(pool_id) '
    'group_left(instance,name) ceph_pool_metadata{cluster=~"$cluster|", } )',
    '((node_md_disks_required - ignoring(state) node_md_disks{state="active"}) > 0)',
    'label_replace(node_cpu_seconds_total, "cpu", "$1", "cpu", "cpu(.+)")',
    "histogram_quantile(0.90, sum by (job, le) (rate(thanos_blocks_meta_sync_duration_seconds_bucket"
    '{job=~"$job"}[$interval]))) * 1',
    'count(count_values("config_hash", alertmanager_config_hash)) > 1',
    'node_load1{job="node-exporter"} / count without (cpu, mode) (node_cpu_seconds_total{job="node-exporter", '
    'mode="idle"}) > 2',
    "count by (instance) (alloy_build_info offset 2h) unless count by (instance) (alloy_build_info)",
    'absent(up{job=~".*thanos-store.*"} == 1)',
    'count(ALERTS{alertstate="firing", cluster=~"$cluster"}) or vector(0)',
    'sum(ceph_osd_up{cluster=~"$cluster|", } == bool 0)',
    "(instance:mysql_heartbeat_lag_seconds > 30) and on(instance) "
    "(predict_linear(instance:mysql_heartbeat_lag_seconds[5m], 60 * 2) > 0)",
    'predict_linear(avg(increase(ceph_cluster_total_used_bytes{cluster=~"${Cluster}"}[1d]))[7d:1h],120)',
    'increase((max without (instance) (etcd_server_leader_changes_seen_total{job=~".*etcd.*"}) or '
    '0*absent(etcd_server_leader_changes_seen_total{job=~".*etcd.*"}))[15m:1m]) >= 4',
    "histogram_quantile(0.95, http_request_duration_seconds_bucket)",
    "rate(sum by (endpoint) (http_requests_total)[5m:1m]) > 10",
    'avg(rpc_duration_seconds{quantile="0.99"}) > 1',
    'sum(rate(http_requests_total{status=~"^5..$", endpoint=~".*"}[5m])) > 1',
    'limitk(5, {"http.requests", "a.b"="c"} @ start() offset -1m) + fill(0) x',
    'sort_by_label(sum by (endpoint) (rate(http_requests_total[5m])), "endpoint")',
    "holt_winters(sum(rate(http_requests_total[5m]))[1h:], 0.5, 0.5)",
    "sum by (endpoint) (rate(http_errors_total[5m])) / on () group_left sum(rate(http_requests_total[5m]))",
    'x{a="1" or b="2"} # a comment\n and y',
]

TOKENS = [
    "(", ")", "[", "]", "{", "}", '"', "'", "`", ",", ":", " ", "\n", "#", "\\",
    "[5m]", "[5m:1m]", "[$__rate_interval]", "$__interval", "${var:regex}", "[[var]]", "$var",
    "by (le)", "without (instance)", "on (a)", "ignoring (b) group_left (c)", "group_right", "bool",
    " or ", " and ", " unless ", " / ", " > ", " == ", " atan2 ", "^", "-", "offset -1m", "@ start()", "@ 100",
    "sum(", "rate(", "histogram_quantile(0.9, ", "topk(3, ", "count_values(\"v\", ", "limitk(2, ", "info(",
    "absent(", "vector(1)", "scalar(", "label_replace(x, \"a\", \"$1\", \"b\", \"(.*)\")",
    '{quantile="0.99"}', '{le="+Inf"}', '{__name__=~"a.+"}', '{"utf8.name"}', 'x{a=~".*"}', "x_bucket",
    "x_total", "x_count", "up", "ALERTS", "1e309", "NaN", "-Inf", "0x1F", "1_000", "fill(0)",
]  # fmt: skip


@st.composite
def mutated(draw: st.DrawFn) -> str:
    """A real query with a few cuts, repeats, swaps and inserted tokens."""
    text = draw(st.sampled_from(SEEDS))
    for _ in range(draw(st.integers(1, 4))):
        at = draw(st.integers(0, len(text)))
        end = draw(st.integers(at, min(len(text), at + 12)))
        action = draw(st.sampled_from(["insert", "delete", "repeat", "swap"]))
        if action == "insert":
            text = text[:at] + draw(st.sampled_from(TOKENS)) + text[at:]
        elif action == "delete":
            text = text[:at] + text[end:]
        elif action == "repeat":
            text = text[:end] + text[at:end] + text[end:]
        else:
            text = text[at:] + text[:at]
    return text


QUERIES = st.one_of(
    mutated(),
    st.text(max_size=80),
    st.text(alphabet=st.sampled_from(list("(){}[]\"',:=~!<>+-*/^@#$ \nabcxyz_015mse.|")), max_size=80),
    st.lists(st.sampled_from(TOKENS), max_size=12).map("".join),
)

FUZZ = settings(
    max_examples=100,
    deadline=2000,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

VARIABLES = {
    "var": VariableInfo("query", ""),
    "interval": VariableInfo("interval", "5m"),
    "cluster": VariableInfo("custom", "prod"),
}


def labels_of(name: str) -> LabelSet:
    return {"x": frozenset({"a", "job"}), "y": frozenset({"b", "job"})}.get(name)


def _analyse(text: str) -> None:
    parsed = parse(text)
    if isinstance(parsed, Parsed):
        selectors(parsed)
        groupings(parsed, labels_of)
        output_labels(parsed, labels_of)
        function_names(parsed)
        series_uses(parsed)
        range_arguments(parsed)
        binary_operations(parsed, labels_of)
        features(parsed)
        top_aggregation(parsed)


def _project(text: str) -> Project:
    expr = text if text.strip() else "up"
    objects: list[object] = [
        Counter("x_total", "Requests", labels=["a"]),
        Gauge("x", "Gauge", labels=["a"]),
        Histogram("x_seconds", "Latency", labels=["a"]),
        Summary("y_seconds", "Summary", quantiles=[0.5, 0.99]),
        Alert("Fuzz", expr, for_="5m", severity="warning", summary="s"),
        Record("job:fuzz:expr", expr),
        Dashboard(
            "Fuzz",
            variables=[Variable.query("var", f"label_values({expr}, a)"), Variable.interval("interval")],
            panels=[TimeSeries("Fuzz", Target(expr))],
        ),
    ]
    return Project((SpecModule("fuzz", "specs/fuzz.py"),), tuple(Declared(obj, "fuzz") for obj in objects))


@FUZZ
@given(QUERIES)
def test_parse_and_analysis_never_raise(text: str) -> None:
    """parse(), substitute() and every analysis function accept any text without raising."""
    _analyse(text)
    _analyse(substitute(text, VARIABLES).text)


@FUZZ
@given(QUERIES)
def test_checks_never_raise_with_a_catalog(text: str) -> None:
    """The whole check catalog runs over a spec project whose every query is the fuzzed text."""
    run_checks(CheckContext(_project(text)))


@FUZZ
@given(QUERIES)
def test_checks_never_raise_on_plain_files(text: str) -> None:
    """The whole check catalog runs over the same project read as plain files (no catalog)."""
    run_checks(CheckContext(_project(text), plain=True))
