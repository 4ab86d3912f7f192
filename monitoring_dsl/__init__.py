"""monitoring-dsl: the vocabulary spec modules import.

from monitoring_dsl import Counter, Histogram, Dashboard, Row, TimeSeries, Alert, RuleGroup
"""

from monitoring_dsl.model import (
    SLO,
    Alert,
    BarGauge,
    Counter,
    Dashboard,
    Gauge,
    GaugePanel,
    Heatmap,
    Histogram,
    Link,
    PieChart,
    Record,
    Row,
    RuleGroup,
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
    "SLO",
    "Alert",
    "BarGauge",
    "Counter",
    "Dashboard",
    "Gauge",
    "GaugePanel",
    "Heatmap",
    "Histogram",
    "Link",
    "PieChart",
    "Record",
    "Row",
    "RuleGroup",
    "Stat",
    "Summary",
    "Table",
    "Target",
    "Text",
    "Threshold",
    "TimeSeries",
    "Variable",
]
