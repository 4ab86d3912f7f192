"""monitoring-dsl: the vocabulary spec modules import.

from monitoring_dsl import Counter, Histogram, Dashboard, Row, TimeSeries, Alert, RuleGroup, RuleTest, Fires
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
    SLO,
    Alert,
    Annotation,
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
    Override,
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
    Transformation,
    ValueMapping,
    Variable,
)
from monitoring_dsl.model.stack import (  # noqa: E402
    Email,
    Inhibit,
    PagerDuty,
    Prometheus,
    Relabel,
    Route,
    Routing,
    Service,
    Slack,
    Webhook,
)

__version__ = "0.1.0"

__all__ = [
    "SLO",
    "Alert",
    "Annotation",
    "BarGauge",
    "Counter",
    "Dashboard",
    "DoesNotFire",
    "Email",
    "Fires",
    "Gauge",
    "GaugePanel",
    "Heatmap",
    "Histogram",
    "Inhibit",
    "Link",
    "Override",
    "PagerDuty",
    "PieChart",
    "Prometheus",
    "Record",
    "Relabel",
    "Route",
    "Routing",
    "Row",
    "RuleGroup",
    "RuleTest",
    "Sample",
    "Series",
    "Service",
    "Slack",
    "Stat",
    "Summary",
    "Table",
    "Target",
    "Text",
    "Threshold",
    "TimeSeries",
    "Transformation",
    "ValueMapping",
    "Variable",
    "Webhook",
]
