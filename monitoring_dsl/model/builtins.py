"""Series that exist without a declaration: Prometheus's own and prometheus_client's default collectors.

`up` and the `scrape_*` series come from every scrape, `ALERTS` from the rule engine, and the `process_*`,
`python_*` series from the process, platform and GC collectors that prometheus_client registers by default.
"""

from __future__ import annotations

from monitoring_dsl.model.metrics import Counter, Gauge, Metric

# Labels every scraped series carries (target labels).
TARGET_LABELS = frozenset({"job", "instance"})

# Series whose label set is open: any label may appear.
OPEN_LABEL_SERIES = frozenset({"ALERTS", "ALERTS_FOR_STATE"})

BUILTIN_METRICS: tuple[Metric, ...] = (
    Gauge("up", "1 if the last scrape of the target succeeded, else 0"),
    Gauge("scrape_duration_seconds", "Duration of the last scrape"),
    Gauge("scrape_samples_scraped", "Samples the target exposed in the last scrape"),
    Gauge("scrape_samples_post_metric_relabeling", "Samples left after metric relabelling"),
    Gauge("scrape_series_added", "New series in the last scrape"),
    Gauge(
        "ALERTS",
        "Pending and firing alerts",
        labels=(
            "alertname",
            "alertstate",
            "severity",
        ),
    ),
    Gauge(
        "ALERTS_FOR_STATE",
        "Start time of pending and firing alerts",
        labels=(
            "alertname",
            "severity",
        ),
    ),
    Counter("process_cpu_seconds_total", "Total user and system CPU time spent in seconds", unit="seconds"),
    Gauge("process_resident_memory_bytes", "Resident memory size in bytes", unit="bytes"),
    Gauge("process_virtual_memory_bytes", "Virtual memory size in bytes", unit="bytes"),
    Gauge("process_start_time_seconds", "Start time of the process since unix epoch in seconds", unit="seconds"),
    Gauge("process_open_fds", "Number of open file descriptors"),
    Gauge("process_max_fds", "Maximum number of open file descriptors"),
    Gauge(
        "python_info",
        "Python platform information",
        labels=(
            "implementation",
            "major",
            "minor",
            "patchlevel",
            "version",
        ),
    ),
    Counter("python_gc_objects_collected_total", "Objects collected during gc", labels=("generation",)),
    Counter(
        "python_gc_objects_uncollectable_total",
        "Uncollectable objects found during GC",
        labels=("generation",),
    ),
    Counter("python_gc_collections_total", "Number of times this generation was collected", labels=("generation",)),
)

for _metric in BUILTIN_METRICS:
    object.__setattr__(_metric, "location", None)  # declared by Prometheus, not by a spec
