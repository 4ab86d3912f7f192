"""The metric catalog of the seed service: every metric it exposes, declared once.

Dashboards and alerts import from here (`from catalog import requests, latency`), so a renamed metric or label
is caught by the checker everywhere it is used. The runtime series (`up`, `process_*`, `python_gc_*`) come
from Prometheus and prometheus_client's default collectors and are built in; they are not declared here.

Conventions: counters end in `_total`; durations are in seconds and sizes in bytes, with the unit in the name.
"""

from monitoring_dsl import Counter, Gauge, Histogram

# --- HTTP -------------------------------------------------------------------------------------------------

requests = Counter(
    "http_requests_total",
    "Total number of HTTP requests served, by method, endpoint and response status code.",
    labels=["method", "endpoint", "status"],
)

latency = Histogram(
    "http_request_duration_seconds",
    "Time spent serving an HTTP request, from the first byte received to the last byte sent.",
    labels=["method", "endpoint"],
    unit="seconds",
    buckets=[0.005, 0.01, 0.025, 0.05, 0.1, 0.2, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0],
)

# 100 B .. 10 MB, one bucket per power of ten.
SIZE_BUCKETS = [100.0, 1_000.0, 10_000.0, 100_000.0, 1_000_000.0, 10_000_000.0]

request_size = Histogram(
    "http_request_size_bytes",
    "Size of HTTP request bodies received, by endpoint.",
    labels=["endpoint"],
    unit="bytes",
    buckets=SIZE_BUCKETS,
)

response_size = Histogram(
    "http_response_size_bytes",
    "Size of HTTP response bodies sent, by endpoint.",
    labels=["endpoint"],
    unit="bytes",
    buckets=SIZE_BUCKETS,
)

errors = Counter(
    "http_errors_total",
    "Total number of HTTP requests answered with an error (4xx or 5xx), by endpoint and status code.",
    labels=["endpoint", "status"],
)

# --- Database ---------------------------------------------------------------------------------------------

db_queries = Counter(
    "db_queries_total",
    "Total number of database queries executed, by operation (select, insert, update, delete).",
    labels=["operation"],
)

# The 1.0 bucket is what the slow-query panel and alert count against: keep it.
db_query_duration = Histogram(
    "db_query_duration_seconds",
    "Time spent executing a database query, by operation.",
    labels=["operation"],
    unit="seconds",
    buckets=[0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0],
)

db_pool_size = Gauge(
    "db_connection_pool_size",
    "Maximum number of connections the database connection pool may hold.",
)

db_connections_in_use = Gauge(
    "db_connections_in_use",
    "Number of database connections currently checked out of the pool.",
)

db_connection_wait = Histogram(
    "db_connection_wait_seconds",
    "Time a request waited to check a connection out of the database pool.",
    unit="seconds",
    buckets=[0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1.0, 5.0],
)

db_transactions = Counter(
    "db_transactions_total",
    "Total number of database transactions finished, by outcome (commit or rollback).",
    labels=["outcome"],
)

# --- Business logic ---------------------------------------------------------------------------------------

validation_failures = Counter(
    "validation_failures_total",
    "Total number of input validation failures, by entity type and field.",
    labels=["entity", "field"],
)

workflow_transitions = Counter(
    "workflow_transitions_total",
    "Total number of workflow state transitions, by workflow and the states left and entered.",
    labels=["workflow", "from_state", "to_state"],
)

rule_violations = Counter(
    "business_rule_violations_total",
    "Total number of business rule violations detected, by rule type.",
    labels=["rule_type"],
)

business_operations = Counter(
    "business_operations_total",
    "Total number of business operations attempted, by operation and outcome (success or failure).",
    labels=["operation", "outcome"],
)
