"""How a catalog metric is exposed by prometheus_client: constructor arguments and the series it yields.

One home for these facts, shared by the runtime (which builds the collectors), the instrumentation emitter
(which writes them out as code) and `verify` (which compares them with what a target exposes). Plain data.

What prometheus_client cannot express, and so is not carried over:
- Summary quantiles: prometheus_client's Summary exposes only `_sum` and `_count`; declared `quantiles` are
  reported by `unsupported()` and the runtime refuses them at start-up.
- `unit` is passed only when the name already ends in it (prometheus_client would otherwise append it to the
  name); it then appears in the OpenMetrics `# UNIT` line.
"""

from __future__ import annotations

import attrs

from monitoring_dsl.model.metrics import Counter, Gauge, Histogram, Metric, Summary

CLIENT_CLASSES = {Counter: "Counter", Gauge: "Gauge", Histogram: "Histogram", Summary: "Summary"}


@attrs.frozen
class ClientArguments:
    """prometheus_client's `cls(name, documentation, labelnames, unit=..., buckets=...)` for one metric."""

    cls: str
    name: str
    documentation: str
    labelnames: tuple[str, ...]
    unit: str
    buckets: tuple[float, ...] | None


def client_class(metric: Metric) -> str:
    for kind, name in CLIENT_CLASSES.items():
        if type(metric) is kind:
            return name
    raise TypeError(f"{type(metric).__name__} is not one of Counter, Gauge, Histogram, Summary")


def _unit(metric: Metric) -> str:
    base = metric.name[: -len("_total")] if isinstance(metric, Counter) else metric.name
    if metric.unit and base.endswith("_" + metric.unit):
        return metric.unit
    return ""


def client_arguments(metric: Metric) -> ClientArguments:
    """The arguments that make prometheus_client expose exactly `metric`."""
    buckets = tuple(float(b) for b in metric.buckets) if isinstance(metric, Histogram) else None
    return ClientArguments(client_class(metric), metric.name, metric.help, metric.labels, _unit(metric), buckets)


def unsupported(metric: Metric) -> list[str]:
    """Why prometheus_client cannot expose `metric` as declared (empty when it can)."""
    problems = []
    if isinstance(metric, Counter) and not metric.name.endswith("_total"):
        problems.append(
            f"counter {metric.name!r} does not end in '_total': prometheus_client would expose it as "
            f"'{metric.name}_total'; rename it in the catalog"
        )
    if isinstance(metric, Summary) and metric.quantiles:
        problems.append(
            f"summary {metric.name!r} declares quantiles {list(metric.quantiles)}: prometheus_client's Summary "
            "exposes only _sum and _count; use a Histogram and histogram_quantile(), or drop quantiles="
        )
    return problems


def exposed_series(metric: Metric) -> tuple[str, ...]:
    """The series names a scrape of `metric` yields (the `_created` series prometheus_client adds aside)."""
    if isinstance(metric, Histogram):
        return (metric.name + "_bucket", metric.name + "_sum", metric.name + "_count")
    if isinstance(metric, Summary):
        quantile = (metric.name,) if metric.quantiles else ()
        return (*quantile, metric.name + "_sum", metric.name + "_count")
    return (metric.name,)


def series_labels(metric: Metric, series: str) -> frozenset[str]:
    """The labels one exposed series of `metric` carries, before the scrape adds `job` and `instance`."""
    labels = set(metric.labels)
    if series == metric.name + "_bucket" and isinstance(metric, Histogram):
        labels.add("le")
    if series == metric.name and isinstance(metric, Summary):
        labels.add("quantile")
    return frozenset(labels)


def created_series(metric: Metric) -> str | None:
    """The `_created` timestamp series prometheus_client exposes beside counters, histograms and summaries."""
    if isinstance(metric, Counter):
        return metric.name[: -len("_total")] + "_created" if metric.name.endswith("_total") else None
    if isinstance(metric, (Histogram, Summary)):
        return metric.name + "_created"
    return None
