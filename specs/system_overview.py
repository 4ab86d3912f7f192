"""System Overview: is the service up, how busy is it, is it failing or slow, and what does it cost?

The first dashboard to open during an incident. Each row answers one question; the detail lives on the
API Performance, Database Performance and Business Logic dashboards linked at the top.
"""

from catalog import db_connections_in_use, db_pool_size, errors, latency, requests

from monitoring_dsl import (
    Dashboard,
    GaugePanel,
    Link,
    Row,
    Stat,
    Target,
    Threshold,
    TimeSeries,
)

ERROR_RATIO = f"{errors.rate()} / {requests.rate()}"
POOL_USAGE = f"sum({db_connections_in_use.name}) / sum({db_pool_size.name})"

system_overview = Dashboard(
    "System Overview",
    uid="system-overview",
    description="Health, traffic, errors, latency, database pool and process resources of the service.",
    tags=["overview", "service"],
    links=[
        Link("API Performance", dashboard="api-performance"),
        Link("Database Performance", dashboard="database-performance"),
        Link("Business Logic", dashboard="business-logic"),
    ],
    rows=[
        Row("Health", [
            Stat("Service up", "min(up)",
                 description="1 when every scraped instance answered its last scrape, 0 when any did not.",
                 unit="none", graph=False,
                 thresholds=[Threshold("red"), Threshold("green", 1)]),
            Stat("Instances up", "sum(up)",
                 description="Number of instances that answered their last scrape.",
                 unit="short", graph=False),
            Stat("Request rate now", requests.rate(),
                 description="Requests per second over the last rate interval.", unit="reqps"),
            Stat("Request rate, 5m average", requests.rate(window="5m"),
                 description="Requests per second averaged over the last five minutes.", unit="reqps"),
        ]),
        Row("Traffic and errors", [
            TimeSeries("Request rate", [
                Target(requests.rate(), legend="now"),
                Target(requests.rate(window="5m"), legend="5m average"),
            ], unit="reqps"),
            TimeSeries("Error rate", Target(ERROR_RATIO, legend="errors / requests"),
                       description="Share of requests that ended in an error response.",
                       unit="percentunit", min=0,
                       thresholds=[Threshold("green"), Threshold("orange", 0.01), Threshold("red", 0.05)]),
            TimeSeries("Response time p95", Target(latency.quantile(0.95), legend="p95"),
                       description="95th percentile of request duration across all endpoints.",
                       unit="s", min=0,
                       thresholds=[Threshold("green"), Threshold("orange", 0.5), Threshold("red", 1)]),
        ]),
        Row("Database", [
            GaugePanel("Connection pool usage", POOL_USAGE,
                       description="Connections in use as a share of the pool size.",
                       unit="percentunit", min=0, max=1,
                       thresholds=[Threshold("green"), Threshold("orange", 0.75), Threshold("red", 0.9)]),
            TimeSeries("Connection pool usage over time", Target(POOL_USAGE, legend="in use / size"),
                       unit="percentunit", min=0, max=1,
                       thresholds=[Threshold("green"), Threshold("orange", 0.75), Threshold("red", 0.9)]),
        ]),
        Row("Process resources", [
            TimeSeries("Resident memory",
                       Target("sum by (instance) (process_resident_memory_bytes)", legend="{{instance}}"),
                       unit="bytes", min=0),
            TimeSeries("CPU usage",
                       Target("sum by (instance) (rate(process_cpu_seconds_total[$__rate_interval]))",
                              legend="{{instance}}"),
                       description="CPU seconds used per second: 100% is one full core.",
                       unit="percentunit", min=0),
            TimeSeries("Garbage collections",
                       Target("sum by (generation) (rate(python_gc_collections_total[$__rate_interval]))",
                              legend="generation {{generation}}"),
                       unit="ops", min=0),
        ]),
    ],
)
