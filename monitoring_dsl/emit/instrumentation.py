"""Standalone instrumentation modules: each spec module's metrics as plain prometheus_client code.

For services that do not want monitoring-dsl at run time: `build/instrumentation/<module>.py` declares the
same collectors (name, help, labels, buckets) the runtime builds from the catalog. Pure: text, no I/O.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from monitoring_dsl.emit.serialize import header_text
from monitoring_dsl.model.exposition import client_arguments, unsupported
from monitoring_dsl.model.metrics import Metric

_INDENT = " " * 8


def attribute_name(metric: Metric) -> str:
    """The Python attribute a metric is reachable by: its name, with colons made underscores."""
    return metric.name.replace(":", "_")


def _string(text: str) -> str:
    """A double-quoted Python string literal (JSON's escapes are Python's)."""
    return json.dumps(text, ensure_ascii=False)


def _collector(metric: Metric) -> list[str]:
    arguments = client_arguments(metric)
    lines = [f"# {problem}" for problem in unsupported(metric)]
    lines.append(f"self.{attribute_name(metric)} = {arguments.cls}(")
    lines.append(f"    {_string(arguments.name)},")
    lines.append(f"    {_string(arguments.documentation)},")
    lines.append("    [" + ", ".join(_string(label) for label in arguments.labelnames) + "],")
    if arguments.unit:
        lines.append(f"    unit={_string(arguments.unit)},")
    if arguments.buckets is not None:
        lines.append(f"    buckets={arguments.buckets!r},")
    lines.append("    registry=registry,")
    lines.append(")")
    return [_INDENT + line for line in lines]


def instrumentation_module(metrics: Sequence[Metric], source: str) -> str:
    """Python source declaring `metrics` (those of the spec `source`) as prometheus_client collectors."""
    classes = sorted({client_arguments(metric).cls for metric in metrics})
    example = metrics[0]
    usage = f"metrics.{attribute_name(example)}" + (
        ".labels(" + ", ".join(f'{label}="..."' for label in example.labels) + ")" if example.labels else ""
    )
    lines = [
        f"# {header_text(source)}",
        f'"""prometheus_client collectors for the metrics declared in {source}.',
        "",
        "metrics = Metrics()  # or Metrics(registry) for a registry of your own",
        usage,
        '"""',
        "",
        f"from prometheus_client import REGISTRY, CollectorRegistry, {', '.join(classes)}",
        "",
        "",
        "class Metrics:",
        f'    """Every metric of {source}, registered in `registry`."""',
        "",
        "    def __init__(self, registry: CollectorRegistry = REGISTRY) -> None:",
    ]
    for index, metric in enumerate(metrics):
        if index:
            lines.append("")
        lines.extend(_collector(metric))
    return "\n".join(lines) + "\n"
