"""monitoring-dsl: the vocabulary spec modules import.

from monitoring_dsl import Counter, Histogram, Dashboard, Row, TimeSeries, Alert, RuleGroup, RuleTest, Fires
"""

from monitoring_dsl.model import (
    Alert,
    BarGauge,
    Counter,
    Dashboard,
    DoesNotFire,
    Fires,
    Gauge,
    GaugePanel,
    Heatmap,
    Histogram,
    Link,
    PieChart,
    Record,
    Row,
    RuleGroup,
    RuleTest,
    Sample,
    Series,
    Stat,
    Summary,
    Table,
    Target,
    Text,
    Threshold,
    TimeSeries,
    Variable,
)

__version__ = "0.1.0"

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
    "PieChart",
    "Record",
    "Row",
    "RuleGroup",
    "RuleTest",
    "Sample",
    "Series",
    "Stat",
    "Summary",
    "Table",
    "Target",
    "Text",
    "Threshold",
    "TimeSeries",
    "Variable",
]
