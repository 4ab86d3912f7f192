"""Catalog metrics as live prometheus_client collectors, with label names checked when the service starts.

`Instruments(metrics, registry)` builds one collector per catalog metric: same name, help, labels and buckets.
Code that records a metric first says which labels it will set (`instruments.use(metric, "endpoint", ...)`),
so a label the catalog does not declare stops the service at start-up with the metric's declaration in the
message, instead of failing on the first request.
"""

from __future__ import annotations

import types
from collections.abc import Iterable
from typing import Any

from monitoring_dsl.model.base import nearest
from monitoring_dsl.model.exposition import client_arguments, unsupported
from monitoring_dsl.model.metrics import Metric
from monitoring_dsl.runtime import _client
from monitoring_dsl.runtime._client import Registry


class CatalogError(ValueError):
    """Application code and the metric catalog disagree: an unknown metric, an undeclared label, or a metric
    prometheus_client cannot expose as declared. Raised at start-up."""


def _declared_at(metric: Metric) -> str:
    return f" (declared at {metric.location})" if metric.location is not None else ""


class Instrument:
    """One catalog metric and its collector. `labels(...)` takes exactly the declared label names."""

    def __init__(self, metric: Metric, collector: Any):
        self.metric = metric
        self.collector = collector
        self._labels = frozenset(metric.labels)

    @property
    def name(self) -> str:
        return self.metric.name

    def require(self, *labels: str) -> Instrument:
        """Check, once at start-up, that the metric declares every label in `labels`; returns self."""
        for label in labels:
            if label not in self._labels:
                hint = nearest(label, self.metric.labels)
                declared = ", ".join(self.metric.labels) or "none"
                raise CatalogError(
                    f"metric {self.name!r} has no label {label!r}{_declared_at(self.metric)}; it declares: {declared}"
                    + (f"; did you mean {hint!r}?" if hint else "")
                    + ". Add the label to the catalog or stop setting it."
                )
        return self

    def require_exactly(self, labels: Iterable[str], who: str) -> None:
        """Check that `who` can fill every declared label and sets no other."""
        given = set(labels)
        self.require(*sorted(given))
        missing = [label for label in self.metric.labels if label not in given]
        if missing:
            raise CatalogError(
                f"metric {self.name!r} declares label(s) {', '.join(missing)}{_declared_at(self.metric)} that "
                f"{who} does not set; it sets: {', '.join(sorted(given)) or 'none'}. Drop the label from the "
                "catalog, or pass a constant value for it."
            )

    def labels(self, **values: str) -> Any:
        """The child collector for these label values (all declared labels, nothing else)."""
        if values.keys() != self._labels:
            self.require(*values)
            self.require_exactly(values, "this call")
        return self.collector.labels(**values) if values else self.collector


class Instruments:
    """The collectors of a metric catalog in one registry.

    Example:
        registry = new_registry()
        instruments = Instruments(catalog_metrics, registry)
        instruments["http_requests_total"].labels(method="GET", endpoint="/", status="200").inc()
    """

    def __init__(self, metrics: Iterable[Metric], registry: Registry | None = None):
        self.registry: Registry = registry if registry is not None else _client.DEFAULT_REGISTRY
        self._by_name: dict[str, Instrument] = {}
        for metric in metrics:
            if metric.name in self._by_name:
                if self._by_name[metric.name].metric == metric:
                    continue
                raise CatalogError(f"metric {metric.name!r} is declared twice, differently{_declared_at(metric)}")
            problems = unsupported(metric)
            if problems:
                raise CatalogError("; ".join(problems) + _declared_at(metric))
            try:
                collector = _client.make_collector(client_arguments(metric), self.registry)
            except ValueError as error:  # prometheus_client: "Duplicated timeseries in CollectorRegistry"
                raise CatalogError(
                    f"metric {metric.name!r} cannot be registered: {error}. Build Instruments once per registry "
                    "(or pass registry=new_registry())"
                ) from None
            self._by_name[metric.name] = Instrument(metric, collector)

    @classmethod
    def from_module(cls, module: types.ModuleType, registry: Registry | None = None) -> Instruments:
        """Every metric a catalog module (e.g. `specs/catalog.py` imported as `catalog`) defines."""
        return cls([value for value in vars(module).values() if isinstance(value, Metric)], registry)

    def __contains__(self, item: Metric | str) -> bool:
        return (item.name if isinstance(item, Metric) else item) in self._by_name

    def __getitem__(self, item: Metric | str) -> Instrument:
        name = item.name if isinstance(item, Metric) else item
        try:
            return self._by_name[name]
        except KeyError:
            hint = nearest(name, self._by_name)
            raise CatalogError(
                f"metric {name!r} is not in the catalog" + (f"; did you mean {hint!r}?" if hint else "")
            ) from None

    def names(self) -> list[str]:
        return list(self._by_name)

    def use(self, item: Metric | str, *labels: str) -> Instrument:
        """The instrument for `item`, checked now to declare `labels`: call this at start-up."""
        return self[item].require(*labels)

    def pick(self, given: Metric | str | None, default: str, available: Iterable[str], who: str) -> Instrument | None:
        """The instrument for a role: `given` (checked to exist), else the conventional `default` name when the
        catalog has it, else None. Every label it declares must be one of `available`, the labels `who` fills."""
        if given is None:
            if default not in self._by_name:
                return None
            given = default
        instrument = self[given]
        unknown = [label for label in instrument.metric.labels if label not in set(available)]
        if unknown:
            raise CatalogError(
                f"metric {instrument.name!r} declares label(s) {', '.join(unknown)}"
                f"{_declared_at(instrument.metric)} that {who} cannot fill; it fills: {', '.join(available)}. "
                "Drop the label from the catalog, or pass a constant for it (constant_labels={...})."
            )
        return instrument
