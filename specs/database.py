"""Database Performance: query load and speed per operation, slow queries, the connection pool, transactions.

Slow queries are counted from the query-duration histogram: all queries minus those in the `le="1.0"` bucket
are the ones slower than one second. prometheus_client writes bucket bounds as Go floats (`1.0`, not `1`), and
Prometheus 2.x matches `le` as text, so the matcher spells the bound the way the service exposes it.
"""

from catalog import (
    db_connection_wait,
    db_connections_in_use,
    db_pool_size,
    db_queries,
    db_query_duration,
    db_transactions,
)

from monitoring_dsl import (
    Alert,
    Dashboard,
    GaugePanel,
    Link,
    Row,
    RuleGroup,
    Stat,
    Target,
    Threshold,
    TimeSeries,
)

RUNBOOKS = "https://runbooks.example.com/database"
SLOW = "1.0"  # a bucket bound declared on db_query_duration_seconds


def slow_queries(window: str, by: str = "operation") -> str:
    """Queries per second slower than one second: all observations minus those within the 1s bucket."""
    name = db_query_duration.name
    return (f"sum by ({by}) (rate({name}_count[{window}])) - "
            f'sum by ({by}) (rate({name}_bucket{{le="{SLOW}"}}[{window}]))')


POOL_USAGE = f"sum({db_connections_in_use.name}) / sum({db_pool_size.name})"
POOL_THRESHOLDS = [Threshold("green"), Threshold("orange", 0.75), Threshold("red", 0.9)]

database = Dashboard(
    "Database Performance",
    uid="database-performance",
    description="Query rate and duration by operation, slow queries, connection pool and transactions.",
    tags=["database"],
    links=[Link("System Overview", dashboard="system-overview")],
    rows=[
        Row("Queries", [
            TimeSeries("Queries by operation",
                       Target(db_queries.rate(by=["operation"]), legend="{{operation}}"),
                       unit="ops", stacking="normal"),
            TimeSeries("Mean query duration by operation",
                       Target(db_query_duration.mean(by=["operation"]), legend="{{operation}}"),
                       unit="s", min=0),
            TimeSeries("p95 query duration by operation",
                       Target(db_query_duration.quantile(0.95, by=["operation"]), legend="{{operation}}"),
                       unit="s", min=0,
                       thresholds=[Threshold("green"), Threshold("orange", 0.5), Threshold("red", 1)]),
            TimeSeries("Slow queries (over 1s) by operation",
                       Target(slow_queries("$__rate_interval"), legend="{{operation}}"),
                       unit="ops", min=0),
        ]),
        Row("Connection pool", [
            GaugePanel("Pool usage", POOL_USAGE,
                       description="Connections in use as a share of the pool size.",
                       unit="percentunit", min=0, max=1, thresholds=POOL_THRESHOLDS),
            Stat("Pool size", f"sum({db_pool_size.name})", unit="short", graph=False),
            Stat("Connections in use", f"sum({db_connections_in_use.name})", unit="short",
                 thresholds=[Threshold("green")]),
            TimeSeries("Connections in use vs pool size", [
                Target(f"sum({db_connections_in_use.name})", legend="in use"),
                Target(f"sum({db_pool_size.name})", legend="pool size"),
            ], unit="short", min=0),
            TimeSeries("Connection wait time", [
                Target(db_connection_wait.quantile(0.5), legend="p50"),
                Target(db_connection_wait.quantile(0.95), legend="p95"),
                Target(db_connection_wait.quantile(0.99), legend="p99"),
            ], description="How long requests wait to check a connection out of the pool.", unit="s", min=0),
        ]),
        Row("Transactions", [
            TimeSeries("Transactions by outcome",
                       Target(db_transactions.rate(by=["outcome"]), legend="{{outcome}}"),
                       unit="ops", stacking="normal"),
            TimeSeries("Rollback ratio",
                       Target(f"{db_transactions.rate(outcome='rollback')} / {db_transactions.rate()}",
                              legend="rollbacks / transactions"),
                       unit="percentunit", min=0,
                       thresholds=[Threshold("green"), Threshold("orange", 0.05), Threshold("red", 0.2)]),
        ]),
    ],
)

database_alerts = RuleGroup("database", [
    Alert("DatabaseSlowQueries",
          f"({slow_queries('5m')}) / sum by (operation) (rate({db_query_duration.name}_count[5m])) > 0.05",
          for_="10m", severity="warning", labels={"service": "api"},
          summary="More than 5% of {{ $labels.operation }} queries take over 1s",
          description="{{ $value | humanizePercentage }} of {{ $labels.operation }} queries took longer than "
                      "one second over the last 5 minutes.",
          runbook_url=f"{RUNBOOKS}/slow-queries"),
    Alert("DatabasePoolNearlyExhausted",
          f"{db_connections_in_use.name} / {db_pool_size.name} > 0.9",
          for_="5m", severity="critical", labels={"service": "api"},
          summary="Database connection pool above 90% used on {{ $labels.instance }}",
          description="{{ $labels.instance }} has {{ $value | humanizePercentage }} of its database "
                      "connections in use; requests will soon wait for a connection.",
          runbook_url=f"{RUNBOOKS}/pool-exhausted"),
    Alert("DatabaseHighTransactionRate",
          f"{db_transactions.rate(window='5m')} > 500",
          for_="10m", severity="warning", labels={"service": "api"},
          summary="Database transaction rate above 500/s",
          description="The service commits or rolls back {{ $value | humanize }} transactions per second "
                      "(threshold 500/s).",
          runbook_url=f"{RUNBOOKS}/high-transaction-rate"),
])
