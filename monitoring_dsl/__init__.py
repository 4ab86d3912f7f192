"""monitoring-dsl: the vocabulary spec modules import.

from monitoring_dsl import Counter, Histogram, Dashboard, Row, TimeSeries, Alert, RuleGroup
"""

import os as _os
import signal as _signal
import sys as _sys

# Run as the console script, a Ctrl-C or SIGTERM during start-up is held until the command line can act on
# it (monitoring_dsl.cli.entry exits 130 or 143), rather than surfacing as a traceback from inside an import.
_EARLY_SIGNALS: list[int] = []
if _os.path.basename(_sys.argv[0] if _sys.argv else "") == "monitoring-dsl":
    for _signum in (_signal.SIGINT, _signal.SIGTERM):
        _signal.signal(_signum, lambda signum, frame: _EARLY_SIGNALS.append(signum))

from monitoring_dsl.model import (  # noqa: E402
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
