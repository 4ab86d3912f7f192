"""What PromQL offers in which Prometheus release: functions, aggregations and syntax, with the version that added each.

promql-parser accepts the newest PromQL (limitk, info, sort_by_label, quoted UTF-8 names, ...), so a query can
parse here and still be refused by the Prometheus that loads it. The versions below come from Prometheus's
CHANGELOG and release notes; `flag` names the `--enable-feature` an experimental feature needs. Features that
no version before 2.0 lacks are not listed: a name missing from this table is in every Prometheus 2.x.

The parser no longer knows `holt_winters`, renamed `double_exponential_smoothing` in 3.0; it is registered
here so that a query written for Prometheus 2.x parses, and the version check can say it is gone in 3.x.
"""

from __future__ import annotations

import attrs
import promql_parser as pp

Version = tuple[int, int]

EXPERIMENTAL_FUNCTIONS = "promql-experimental-functions"


@attrs.frozen
class Feature:
    """A piece of PromQL that not every Prometheus has.

    `since` is the first release that accepts it without a flag (None: no release does); `experimental`
    is the first release that accepts it behind `--enable-feature=<flag>`; `removed` the release that
    dropped it, with `instead` the name that replaced it.
    """

    name: str
    since: Version | None
    experimental: Version | None = None
    flag: str | None = None
    removed: Version | None = None
    instead: str | None = None
    exact: bool = True  # False: added in `since` or later; the table does not know the release

    def available(self, version: Version) -> bool:
        """Whether Prometheus `version` loads a query with this feature (feature flags aside)."""
        if self.removed is not None and version >= self.removed:
            return False
        first = self.experimental or self.since
        return first is not None and version >= first

    def first_version(self) -> str | None:
        first = self.experimental or self.since
        return None if first is None else f"{first[0]}.{first[1]}"


def _experimental(name: str, version: Version, flag: str = EXPERIMENTAL_FUNCTIONS) -> Feature:
    return Feature(name, None, experimental=version, flag=flag)


_TRIGONOMETRY = (
    *("acos", "acosh", "asin", "asinh", "atan", "atanh", "cos", "cosh", "sin", "sinh", "tan", "tanh"),
    *("deg", "rad", "pi"),
)

_FUNCTION_LIST = (
    Feature("absent_over_time", (2, 16)),
    Feature("last_over_time", (2, 26)),
    Feature("sgn", (2, 26)),
    Feature("clamp", (2, 26)),
    Feature("present_over_time", (2, 29)),
    *(Feature(name, (2, 31)) for name in _TRIGONOMETRY),
    Feature("histogram_count", (2, 40)),
    Feature("histogram_sum", (2, 40)),
    Feature("histogram_fraction", (2, 40)),
    Feature("histogram_stddev", (2, 47)),
    Feature("histogram_stdvar", (2, 47)),
    _experimental("mad_over_time", (2, 49)),
    _experimental("sort_by_label", (2, 49)),
    _experimental("sort_by_label_desc", (2, 49)),
    Feature("histogram_avg", (2, 51)),
    _experimental("info", (2, 55)),
    Feature("holt_winters", (2, 0), removed=(3, 0), instead="double_exponential_smoothing"),
    _experimental("double_exponential_smoothing", (3, 0)),
    _experimental("ts_of_min_over_time", (3, 5)),
    _experimental("ts_of_max_over_time", (3, 5)),
    _experimental("ts_of_last_over_time", (3, 5)),
    _experimental("first_over_time", (3, 7)),
    _experimental("ts_of_first_over_time", (3, 7)),
    _experimental("histogram_quantiles", (3, 11)),
    _experimental("start", (3, 12)),
    _experimental("end", (3, 12)),
    _experimental("range", (3, 12)),
    _experimental("step", (3, 12)),
    _experimental("start_timestamp", (3, 14)),
    _experimental("integral", (3, 16)),
)
FUNCTIONS: dict[str, Feature] = {feature.name: feature for feature in _FUNCTION_LIST}

AGGREGATIONS: dict[str, Feature] = {
    "group": Feature("group", (2, 20)),
    "limitk": _experimental("limitk", (2, 54)),
    "limit_ratio": _experimental("limit_ratio", (2, 54)),
}

# Syntax, keyed by the name `syntax_features` reports.
SYNTAX: dict[str, Feature] = {
    "atan2": Feature("the `atan2` operator", (2, 31)),
    "@": Feature("the `@` modifier", (2, 33), experimental=(2, 25), flag="promql-at-modifier"),
    "negative offset": Feature("a negative offset", (2, 33), experimental=(2, 26), flag="promql-negative-offset"),
    "utf8 name": Feature("a quoted UTF-8 name", (3, 0), experimental=(2, 55), flag="utf8-names"),
    "fill": Feature("the `fill()` modifier", None, experimental=(3, 10), flag="promql-binop-fill-modifiers"),
    "or matcher": Feature("`or` between label matchers (a MetricsQL extension)", None),
    # prometheus/prometheus#9138 (merged March 2024) made numbers and durations interchangeable: `x[5]`,
    # `offset 5`, `x > 5m`; Prometheus 2.42 refuses all three.
    "number duration": Feature("a number used as a duration, or a duration used as a number", (2, 52)),
    # the extended range selectors (`x[5m] anchored`) made these words keywords; stable since 3.16
    "newer keyword": Feature("a metric named `anchored` or `smoothed`", (2, 0), removed=(3, 16)),
}

# A function the parser knows that is neither listed nor in 2.42: newer than Prometheus 2.x, version unknown.
UNKNOWN_VERSION = Feature("this function", (3, 0), exact=False)


def _register_holt_winters() -> None:
    matrix, scalar, vector = pp.ValueType.Matrix, pp.ValueType.Scalar, pp.ValueType.Vector
    pp.register_extra_functions([pp.Function("holt_winters", [matrix, scalar, scalar], vector)])


_register_holt_winters()

# Every function of Prometheus 2.42 that the table above does not list (it has them since 2.0 or earlier).
BASELINE_FUNCTIONS = frozenset(
    (
        *("abs", "absent", "ceil", "changes", "clamp_max", "clamp_min", "delta", "deriv", "exp", "floor"),
        *("day_of_month", "day_of_week", "day_of_year", "days_in_month", "hour", "minute", "month", "year"),
        *("histogram_quantile", "idelta", "increase", "irate", "label_join", "label_replace", "ln", "log2"),
        *("log10", "predict_linear", "rate", "resets", "round", "scalar", "sort", "sort_desc", "sqrt", "time"),
        *("timestamp", "vector", "avg_over_time", "min_over_time", "max_over_time", "sum_over_time"),
        *("count_over_time", "quantile_over_time", "stddev_over_time", "stdvar_over_time"),
    )
)


def function_feature(name: str) -> Feature | None:
    """The feature behind function `name`: None when every Prometheus 2.x and 3.x has it."""
    if name in FUNCTIONS:
        return FUNCTIONS[name]
    if name in BASELINE_FUNCTIONS:
        return None
    return attrs.evolve(UNKNOWN_VERSION, name=name)
