from monitoring_dsl import Counter, Histogram

requests = Counter("http_requests_total", "HTTP requests", labels=["endpoint", "status"])
latency = Histogram(
    "http_request_duration_seconds",
    "Request duration",
    labels=["endpoint"],
    unit="seconds",
    buckets=[0.05, 0.1, 0.25, 1],
)
