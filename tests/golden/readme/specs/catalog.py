# specs/catalog.py
from monitoring_dsl import Counter, Histogram

requests = Counter("http_requests_total", "HTTP requests served", labels=["method", "endpoint", "status"])
latency = Histogram("http_request_duration_seconds", "Time to serve a request", labels=["endpoint"],
                    buckets=[0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5], unit="seconds")
