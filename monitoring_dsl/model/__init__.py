"""The model layer: frozen attrs classes that specs build. No I/O happens here."""

from monitoring_dsl.model.base import SourceLocation, SpecError
from monitoring_dsl.model.dashboards import (
    BarGauge,
    Dashboard,
    GaugePanel,
    Heatmap,
    Link,
    Panel,
    PieChart,
    Row,
    Stat,
    Table,
    Target,
    Text,
    Threshold,
    TimeSeries,
    Variable,
)
from monitoring_dsl.model.metrics import Counter, Gauge, Histogram, Metric, Summary
from monitoring_dsl.model.rules import Alert, Record, RuleGroup
from monitoring_dsl.model.ruletests import DoesNotFire, Fires, RuleTest, Sample, Series

__all__ = [
    "Alert",
    "BarGauge",
    "Counter",
    "Dashboard",
    "DoesNotFire",
    "Fires",
    "Gauge",
    "GaugePanel",
    "Heatmap",
    "Histogram",
    "Link",
    "Metric",
    "Panel",
    "PieChart",
    "Record",
    "Row",
    "RuleGroup",
    "RuleTest",
    "Sample",
    "Series",
    "SourceLocation",
    "SpecError",
    "Stat",
    "Summary",
    "Table",
    "Target",
    "Text",
    "Threshold",
    "TimeSeries",
    "Variable",
]
