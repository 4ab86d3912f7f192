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
    Annotation,
    Dashboard,
    DoesNotFire,
    Fires,
    GaugePanel,
    Link,
    Row,
    RuleGroup,
    RuleTest,
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

database = Dashboard(
    "Database Performance",
    uid="database-performance",
    description="Query rate and duration by operation, slow queries, connection pool and transactions.",
    tags=["database"],
    links=[Link("System Overview", dashboard="system-overview")],
    annotations=[Annotation.alerts(database_alerts)],
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
# --- Tests of the alerts, run on Prometheus's engine by `monitoring-dsl test` ---------------------------------
# One sample a minute from time 0; `0+60x30` is a counter growing by 60 a minute (1/s) for 30 minutes.


def select_queries(fast_per_minute: float) -> dict[str, str]:
    """60 select queries a minute, `fast_per_minute` of them done within one second."""
    return {
        'db_query_duration_seconds_count{operation="select"}': "0+60x30",
        'db_query_duration_seconds_bucket{operation="select", le="1.0"}': f"0+{fast_per_minute:g}x30",
    }


RuleTest("10% slow selects fire after 10m",
         series=select_queries(54),
         at="20m",
         alerts=[
             DoesNotFire("DatabaseSlowQueries", at="10m"),  # pending since 1m: `for_` is 10m
             Fires("DatabaseSlowQueries", labels={"operation": "select"}, annotations={
                 "summary": "More than 5% of select queries take over 1s",
                 "description": "10% of select queries took longer than one second over the last 5 minutes.",
             }),
         ])

RuleTest("1% slow selects stay quiet",
         series=select_queries(59.4),
         at="20m",
         alerts=[DoesNotFire("DatabaseSlowQueries")])

TARGET = '{job="app", instance="app-1:8000"}'
POOL = {f"db_connection_pool_size{TARGET}": "20x20"}

RuleTest("19 of 20 connections in use page",
         series={**POOL, f"db_connections_in_use{TARGET}": "19x20"},
         at="10m",
         alerts=[Fires("DatabasePoolNearlyExhausted", labels={"job": "app", "instance": "app-1:8000"}, annotations={
             "summary": "Database connection pool above 90% used on app-1:8000",
             "description": "app-1:8000 has 95% of its database connections in use; requests will soon wait for a "
                            "connection.",
         })])

RuleTest("half the pool in use stays quiet",
         series={**POOL, f"db_connections_in_use{TARGET}": "10x20"},
         at="10m",
         alerts=[DoesNotFire("DatabasePoolNearlyExhausted")])

RuleTest("600 transactions/s warn after 10m",
         series={'db_transactions_total{outcome="commit"}': "0+36000x30"},
         at="20m",
         alerts=[Fires("DatabaseHighTransactionRate", annotations={
             "description": "The service commits or rolls back 600 transactions per second (threshold 500/s).",
         })])

RuleTest("400 transactions/s stay quiet",
         series={'db_transactions_total{outcome="commit"}': "0+24000x30"},
         at="20m",
         alerts=[DoesNotFire("DatabaseHighTransactionRate")])
