"""S6xx: the stack. Scrape jobs, Alertmanager routing and inhibition, and secrets kept out of the specs.

Also documents E030-E034, which `monitoring-dsl up` reports when the local stack cannot run.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from urllib.parse import parse_qsl, urlsplit

import attrs

from monitoring_dsl import codes
from monitoring_dsl.checks.context import CheckContext, Query, owner_kind
from monitoring_dsl.checks.registry import check, diagnostic, document
from monitoring_dsl.diagnostics import Diagnostic, Severity
from monitoring_dsl.model.base import nearest
from monitoring_dsl.model.rules import Alert, parse_duration
from monitoring_dsl.model.stack import Receiver, Route, Routing, Service
from monitoring_dsl.promql import PLACEHOLDER_PREFIX, Parsed, output_labels, selectors

# --- secrets ------------------------------------------------------------------------------------------------

_SECRET_QUERY_KEYS = {
    "token",
    "key",
    "api_key",
    "apikey",
    "secret",
    "password",
    "access_token",
    "auth",
    "sig",
    "signature",
    "code",
    "routing_key",
}
_SECRET_PATTERNS = (
    (re.compile(r"hooks\.slack\.com/services/"), "a Slack incoming-webhook URL"),
    (re.compile(r"\bxox[abposr]-[A-Za-z0-9-]{10,}"), "a Slack token"),
    (re.compile(r"discord(?:app)?\.com/api/webhooks/"), "a Discord webhook URL"),
    (re.compile(r"\.webhook\.office\.com/"), "a Microsoft Teams webhook URL"),
    (re.compile(r"(?<![0-9a-f])[0-9a-f]{32}(?![0-9a-f])"), "a 32-character hexadecimal key (a PagerDuty key)"),
)
_TOKEN_RE = re.compile(r"^[A-Za-z0-9+/=_\-.]{16,}$")


def _why_secret(field: str, value: str) -> str | None:
    """Why `value` of receiver option `field` looks like a secret itself, or None."""
    for pattern, what in _SECRET_PATTERNS:
        if pattern.search(value):
            return f"it holds {what}"
    if "://" in value:
        parts = urlsplit(value)
        if parts.password:
            return "the URL carries a password"
        for key, _ in parse_qsl(parts.query, keep_blank_values=True):
            if key.lower() in _SECRET_QUERY_KEYS:
                return f"the URL's query carries `{key}`"
        if field.endswith("_file"):
            return "it is a URL, not the path of a file holding the secret"
    if field.endswith("_file") and "/" not in value and _TOKEN_RE.match(value):
        return "it looks like a key or token, not the path of a file holding it"
    return None


def _receiver_strings(receiver: Receiver) -> Iterator[tuple[str, str]]:
    for field in attrs.fields(type(receiver)):  # type: ignore[arg-type]  # @spec makes it an attrs class
        value = getattr(receiver, field.name)
        if isinstance(value, str) and field.name != "name":
            yield field.name, value


@check(code="S601", name="inline-secret", severity=Severity.ERROR)
def inline_secret(ctx: CheckContext) -> Iterator[Diagnostic]:
    """A receiver option holds a secret itself (a webhook URL, a key, a password) instead of a file's path.

    Secrets are passed by reference: `api_url_file`, `routing_key_file`, `service_key_file`,
    `auth_password_file` and `bearer_token_file` name a file that Alertmanager reads at run time. Flagged: Slack,
    Discord and Teams webhook URLs, Slack tokens, 32-character hexadecimal keys, URLs with a password or a
    `token=`-like query parameter, and a `*_file` option whose value is a URL or a token rather than a path.

    ## Why is this bad?
    Specs are committed and `build/` is shared: a secret written into either is leaked to everyone who can
    read the repository, and rotating it means a code change.

    ## Example
        Slack("slack", channel="#alerts", api_url_file="https://hooks.slack.com/services/T000/B000/XXXX")

    ## Use instead
        Slack("slack", channel="#alerts", api_url_file="/etc/alertmanager/secrets/slack-webhook-url")
    """
    for routing in ctx.project.routings:
        for receiver in routing.receivers:
            for field, value in _receiver_strings(receiver):
                why = _why_secret(field, value)
                if why is None:
                    continue
                target = field if field.endswith("_file") else f"{field} (a `*_file` option where there is one)"
                yield diagnostic(
                    "S601",
                    f"{type(receiver).__name__} {receiver.name!r}: `{field}` looks like an inline secret: {why}",
                    help=f"put the secret in a file outside the repository and give its path in {target}; "
                    "rotate the secret, since it has been committed",
                    subject=receiver,
                    **ctx.at(receiver.location, value[:24]),
                )


# --- routing ------------------------------------------------------------------------------------------------


def _route_receivers(routing: Routing) -> Iterator[tuple[Route | Routing, str]]:
    yield routing, routing.default
    for route in routing.all_routes():
        yield route, route.receiver


@check(code="S602", name="unknown-receiver", severity=Severity.ERROR)
def unknown_receiver(ctx: CheckContext) -> Iterator[Diagnostic]:
    """A route (or the routing's `default`) names a receiver that the routing does not declare.

    ## Why is this bad?
    Alertmanager refuses to load a configuration whose route names an undefined receiver, so no alert is
    delivered at all.

    ## Example
        Routing(receivers=[slack], default="email", routes=[Route("slak", match={"severity": "warning"})])

    ## Use instead
        Routing(receivers=[slack, email], default=email, routes=[Route(slack, match={"severity": "warning"})])
    """
    for routing in ctx.project.routings:
        names = [r.name for r in routing.receivers]
        for owner, name in _route_receivers(routing):
            if name in names:
                continue
            hint = nearest(name, names)
            yield diagnostic(
                "S602",
                f"{'default' if owner is routing else 'route'} receiver {name!r} is not declared in the routing",
                help=f"did you mean {hint!r}?" if hint else f"add a receiver named {name!r} to receivers=[...]",
                subject=owner,
                **ctx.at(owner.location, name),
            )


@check(code="S603", name="unused-receiver", severity=Severity.WARNING)
def unused_receiver(ctx: CheckContext) -> Iterator[Diagnostic]:
    """A receiver that no route, and not the default, sends anything to.

    ## Why is this bad?
    Someone configured a channel expecting notifications there; none will ever arrive. Usually a route was
    forgotten or names another receiver by mistake.

    ## Example
        Routing(receivers=[slack, pagerduty], default=slack)

    ## Use instead
        Routing(receivers=[slack, pagerduty], default=slack,
                routes=[Route(pagerduty, match={"severity": "critical"})])
    """
    for routing in ctx.project.routings:
        used = {name for _, name in _route_receivers(routing)}
        for receiver in routing.receivers:
            if receiver.name not in used:
                yield diagnostic(
                    "S603",
                    f"receiver {receiver.name!r} is used by no route",
                    help=f"route some alerts to it (Route({receiver.name!r}, match={{...}})) or remove it",
                    subject=receiver,
                    **ctx.at(receiver.location, receiver.name),
                )


def _static_labels(ctx: CheckContext, alert: Alert) -> dict[str, str]:
    """The labels an alert reaches Alertmanager with whose values are known before it fires."""
    labels = {label: value for label, value in ctx.external_labels().items()}
    labels.update(alert.all_labels())
    labels["alertname"] = alert.name
    return labels


def _series_labels(ctx: CheckContext, alert: Alert) -> frozenset[str] | None:
    """Labels the alert's series carry from its expression, None when they cannot be known."""
    from monitoring_dsl.promql import parse

    parsed = parse(alert.expr)
    if not isinstance(parsed, Parsed):
        return None
    return output_labels(parsed, ctx.catalog.labels_of)


@check(code="S604", name="alert-not-routed", severity=Severity.WARNING)
def alert_not_routed(ctx: CheckContext) -> Iterator[Diagnostic]:
    """An alert whose labels no route matches: it only reaches the routing's default receiver.

    The alert's labels are its own (`severity=`, `labels=`), `alertname` and Prometheus's external labels. An
    alert is not reported when a route matches on a label its expression supplies, whose value is only known
    when it fires.

    ## Why is this bad?
    The default receiver is the catch-all: an alert that ends there was usually meant for a team or a pager
    and carries a severity or team label that no route expects (`severity="crit"`, a new team).

    ## Example
        Alert("DiskFull", "...", severity="page", ...)
        Routing(..., routes=[Route(pagerduty, match={"severity": "critical"})], default=email)

    ## Use instead
        Alert("DiskFull", "...", severity="critical", ...)
    """
    for routing in ctx.project.routings:
        if not routing.routes:
            continue
        route_labels = {label for r in routing.all_routes() for label in (*r.match, *r.match_re)}
        for alert in ctx.project.alerts:
            labels = _static_labels(ctx, alert)
            if any(r.matches(labels) for r in routing.routes):
                continue
            series = _series_labels(ctx, alert)
            dynamic = (route_labels - set(labels)) & (series or frozenset())
            if series is None or dynamic:
                continue
            shown = ", ".join(f'{k}="{v}"' for k, v in sorted(labels.items()) if k in route_labels) or "no label"
            yield diagnostic(
                "S604",
                f"alert {alert.name!r} ({shown}) matches no route and only reaches the default receiver "
                f"{routing.default!r}",
                help="give it the labels a route matches (e.g. severity=), or add a route for it",
                subject=alert,
                **ctx.at(alert.location, alert.severity or alert.name),
            )


@check(code="S605", name="inhibit-label-not-carried", severity=Severity.WARNING)
def inhibit_label_not_carried(ctx: CheckContext) -> Iterator[Diagnostic]:
    """An inhibition's `equal` label that the alerts it applies to do not carry.

    An alert carries its own labels, `alertname`, Prometheus's external labels, and the labels its expression
    keeps (`sum by (service) (...)` keeps `service`; `sum(...)` keeps none).

    ## Why is this bad?
    Alertmanager treats a missing label as equal to another missing label: an inhibition meant to mute the
    warning of the same service mutes the warnings of every service while any critical alert fires.

    ## Example
        Alert("HighErrorRate", "sum(rate(http_errors_total[5m])) > 1", severity="critical", ...)
        Inhibit(source={"severity": "critical"}, target={"severity": "warning"}, equal=["service"])

    ## Use instead
        Alert("HighErrorRate", "sum by (service) (rate(http_errors_total[5m])) > 1", severity="critical", ...)
    """
    for routing in ctx.project.routings:
        for rule in routing.inhibit:
            for side, wanted in (("source", rule.source), ("target", rule.target)):
                for alert in ctx.project.alerts:
                    labels = _static_labels(ctx, alert)
                    if any(labels.get(k) != v for k, v in wanted.items()):
                        continue
                    series = _series_labels(ctx, alert)
                    if series is None:
                        continue
                    missing = [label for label in rule.equal if label not in labels and label not in series]
                    for label in missing:
                        yield diagnostic(
                            "S605",
                            f"inhibition equal label `{label}` is not carried by alert {alert.name!r}, which it "
                            f"matches as {side}",
                            help=f"add labels={{{label!r}: ...}} to the alert or keep `{label}` in its expression "
                            f"(by ({label})), or drop it from equal=",
                            subject=rule,
                            related=ctx.declared_at("alert declared", alert),
                            **ctx.at(rule.location, label),
                        )


# --- scrape jobs --------------------------------------------------------------------------------------------


def _query_metric_names(ctx: CheckContext) -> Iterator[tuple[Query, str]]:
    """(query, declared metric name) for every series a query names that resolves to a catalog metric."""
    for query in ctx.queries:
        if query.parsed is None:
            continue
        for selector in selectors(query.parsed):
            name = selector.name
            if not name or name.startswith(PLACEHOLDER_PREFIX):
                continue
            resolved = ctx.catalog.resolve(name)
            if resolved is None or resolved.metric is None or resolved.builtin:
                continue
            yield query, resolved.metric.name


@check(code="S606", name="unused-service", severity=Severity.WARNING)
def unused_service(ctx: CheckContext) -> Iterator[Diagnostic]:
    """A `Service` none of whose metrics any dashboard, alert or recording rule queries.

    Only services that list their `metrics=` are checked.

    ## Why is this bad?
    Prometheus scrapes and stores the job's series for nothing, and the service is not watched: an outage
    would go unnoticed.

    ## Example
        Service("worker", targets=["localhost:9100"], metrics=[jobs_processed])   # no panel or alert uses it

    ## Use instead
        Alert("WorkerStalled", "sum(rate(jobs_processed_total[10m])) == 0", for_="15m", severity="warning", ...)
    """
    services = [service for service in ctx.project.services if service.metrics]
    if not services:
        return  # the names every query uses cost 0.1 s on workload L, which has no service to compare them to
    used = {name for _, name in _query_metric_names(ctx)}
    for service in services:
        if not (service.metric_names & used):
            yield diagnostic(
                "S606",
                f"no dashboard, alert or recording rule uses the metrics of service {service.name!r}",
                help="add a panel or an alert on one of its metrics, or remove the service",
                subject=service,
                **ctx.at(service.location, service.name),
            )


@check(code="S607", name="metric-not-scraped", severity=Severity.WARNING, needs_catalog=True)
def metric_not_scraped(ctx: CheckContext) -> Iterator[Diagnostic]:
    """A query names a catalog metric that no `Service` exposes.

    Checked only when the specs declare services with `metrics=`. Built-in series (`up`, `scrape_*`, ...)
    and recording rules are not concerned.

    ## Why is this bad?
    No job scrapes the metric, so the panel stays empty and the alert never fires. Usually a new metric was
    added to the catalog but not to the service that exposes it.

    ## Example
        api = Service("api", targets=["localhost:8000"], metrics=[requests])
        TimeSeries("Latency", latency.quantile(0.95))

    ## Use instead
        api = Service("api", targets=["localhost:8000"], metrics=[requests, latency])
    """
    services = [s for s in ctx.project.services if s.metrics]
    if not services:
        return
    exposed = set().union(*(s.metric_names for s in services))
    seen: set[tuple[int, str]] = set()
    for query, name in _query_metric_names(ctx):
        key = (id(query), name)
        if name in exposed or key in seen:
            continue
        seen.add(key)
        jobs = ", ".join(repr(s.name) for s in services)
        yield diagnostic(
            "S607",
            f"no service exposes `{name}` (in {owner_kind(query.owner)})",
            help=f"add it to metrics=[...] of the service that serves it ({jobs})",
            subject=query.owner,
            **ctx.in_query(query, name),
        )


@check(code="S608", name="duplicate-job", severity=Severity.ERROR)
def duplicate_job(ctx: CheckContext) -> Iterator[Diagnostic]:
    """Two `Service`s with the same name (Prometheus's `job_name`), or a service named like Prometheus's own job.

    ## Why is this bad?
    Prometheus refuses a configuration with two scrape jobs of one name, and queries by `job` could not tell
    the services apart.

    ## Example
        Service("api", targets=["localhost:8000"])
        Service("api", targets=["localhost:8001"])

    ## Use instead
        Service("api", targets=["localhost:8000", "localhost:8001"])
    """
    first: dict[str, Service] = {}
    for service in ctx.project.services:
        if service.name in first:
            yield diagnostic(
                "S608",
                f"service {service.name!r} is declared twice",
                help="merge their targets into one Service, or rename one",
                subject=service,
                related=ctx.declared_at("first declared", first[service.name]),
                **ctx.at(service.location, service.name),
            )
        else:
            first[service.name] = service


@check(code="S609", name="scrape-timeout-too-long", severity=Severity.ERROR)
def scrape_timeout_too_long(ctx: CheckContext) -> Iterator[Diagnostic]:
    """A scrape timeout longer than the scrape interval it applies to.

    ## Why is this bad?
    Prometheus refuses to load such a configuration (`scrape timeout greater than scrape interval`).

    ## Example
        Service("api", targets=["localhost:8000"], scrape_interval="5s", scrape_timeout="10s")

    ## Use instead
        Service("api", targets=["localhost:8000"], scrape_interval="5s", scrape_timeout="4s")
    """
    server = ctx.project.prometheus_servers[0] if ctx.project.prometheus_servers else None
    global_interval = server.scrape_interval if server else "1m"
    global_timeout = server.scrape_timeout if server else None
    if (
        server is not None
        and global_timeout is not None
        and ((parse_duration(global_timeout) or 0) > (parse_duration(global_interval) or 0))
    ):
        yield diagnostic(
            "S609",
            f"Prometheus times out after {global_timeout}, longer than its scrape interval {global_interval}",
            help=f"set scrape_timeout to at most {global_interval}",
            subject=server,
            **ctx.at(server.location, global_timeout),
        )
    for service in ctx.project.services:
        # without its own timeout a job gets the global one, capped by Prometheus at the job's interval
        if service.scrape_timeout is None:
            continue
        interval = service.scrape_interval or global_interval
        if (parse_duration(service.scrape_timeout) or 0) > (parse_duration(interval) or 0):
            yield diagnostic(
                "S609",
                f"service {service.name!r} times out after {service.scrape_timeout}, longer than its scrape "
                f"interval {interval}",
                help=f"set scrape_timeout to at most {interval}",
                subject=service,
                **ctx.at(service.location, service.scrape_timeout),
            )


@check(code="S610", name="stack-declared-twice", severity=Severity.ERROR)
def stack_declared_twice(ctx: CheckContext) -> Iterator[Diagnostic]:
    """More than one `Prometheus` or more than one `Routing` in the specs.

    ## Why is this bad?
    The stack has one Prometheus server and one Alertmanager configuration; which declaration wins would be
    an accident of file order.

    ## Example
        routing = Routing(receivers=[slack], default=slack)        # specs/api.py
        routing = Routing(receivers=[email], default=email)        # specs/database.py

    ## Use instead
        Declare one Routing (e.g. in specs/stack.py) with both receivers and a route for each.
    """
    kinds: tuple[tuple[str, list[object]], ...] = (
        ("Prometheus", list(ctx.project.prometheus_servers)),
        ("Routing", list(ctx.project.routings)),
    )
    for kind, declared in kinds:
        for extra in declared[1:]:
            yield diagnostic(
                "S610",
                f"a second {kind} is declared; the stack has one",
                help=f"keep one {kind} and merge the other into it",
                subject=extra,
                related=ctx.declared_at("first declared", declared[0]),
                **ctx.at(getattr(extra, "location", None), kind),
            )


@check(code="S611", name="duplicate-receiver", severity=Severity.ERROR)
def duplicate_receiver(ctx: CheckContext) -> Iterator[Diagnostic]:
    """Two receivers of one routing share a name.

    ## Why is this bad?
    Alertmanager refuses the configuration (`notification config name ... is not unique`), so nothing is
    delivered.

    ## Example
        Routing(receivers=[Slack("team", ...), Email("team", ...)], default="team")

    ## Use instead
        Routing(receivers=[Slack("team-slack", ...), Email("team-email", ...)], default="team-email")
    """
    for routing in ctx.project.routings:
        seen: dict[str, Receiver] = {}
        for receiver in routing.receivers:
            if receiver.name in seen:
                yield diagnostic(
                    "S611",
                    f"receiver name {receiver.name!r} is used twice",
                    help="give each receiver its own name",
                    subject=receiver,
                    related=ctx.declared_at("first declared", seen[receiver.name]),
                    **ctx.at(receiver.location, receiver.name),
                )
            else:
                seen[receiver.name] = receiver


@check(code="S612", name="alerts-without-routing", severity=Severity.WARNING)
def alerts_without_routing(ctx: CheckContext) -> Iterator[Diagnostic]:
    """The specs declare a stack (a `Service` or `Prometheus`) and alerts, but no `Routing`.

    ## Why is this bad?
    The generated Prometheus has no Alertmanager to send to: alerts fire and nobody is notified.

    ## Example
        api = Service("api", targets=["localhost:8000"])
        Alert("APIDown", 'up{job="api"} == 0', ...)

    ## Use instead
        routing = Routing(receivers=[email], default=email)
    """
    project = ctx.project
    if project.routings or not (project.services or project.prometheus_servers) or not project.alerts:
        return
    anchor = (project.services or project.prometheus_servers)[0]
    yield diagnostic(
        "S612",
        f"{len(project.alerts)} alert(s) but no Routing: nobody would be notified",
        help="declare a Routing with at least one receiver (Slack, PagerDuty, Email, Webhook)",
        subject=anchor,
        **ctx.at(getattr(anchor, "location", None), None),
    )


# --- monitoring-dsl up --------------------------------------------------------------------------------------

document(
    codes.UP_NO_STACK,
    """
    `monitoring-dsl up` found nothing to run: the specs declare no `Service`, `Prometheus` or `Routing`.

    ## Why is this bad?
    Without a stack there is no `prometheus.yml` or `alertmanager.yml` to start Prometheus and Alertmanager
    with.

    ## Example
    A spec set with dashboards and alerts only.

    ## Use instead
        prometheus = Prometheus(scrape_interval="15s")
        api = Service("api", targets=["localhost:8000"])
    """,
    __name__,
)

document(
    codes.UP_BINARY_MISSING,
    """
    `monitoring-dsl up` could not find the `prometheus` or `alertmanager` binary on PATH.

    ## Why is this bad?
    The local stack runs the real servers as processes; without them there is nothing to start.

    ## Example
    A machine without Prometheus installed.

    ## Use instead
    Install them (Debian: `apt-get install prometheus prometheus-alertmanager`, or `make tools`); Debian's
    Alertmanager binary is `prometheus-alertmanager`, which is found too.
    """,
    __name__,
)

document(
    codes.UP_NOT_READY,
    """
    Prometheus or Alertmanager exited, or did not become ready in time, when `monitoring-dsl up` started it.

    ## Why is this bad?
    The stack is not running. The message carries the end of the process's log, which says why (a port
    taken, a configuration the server refused, a storage directory it cannot write).

    ## Example
    A `prometheus.yml` that names a rule file which does not exist.

    ## Use instead
    Fix what the log names and run `monitoring-dsl up` again.
    """,
    __name__,
)

document(
    codes.UP_RULES_NOT_LOADED,
    """
    Prometheus started but did not load every rule group of the build (checked through its HTTP API).

    ## Why is this bad?
    Alerts that are not loaded never fire.

    ## Example
    A rule file that Prometheus 2.42 rejects although the build accepted it.

    ## Use instead
    Run `promtool check rules build/prometheus/rules/*.yml` and fix what it reports.
    """,
    __name__,
)

document(
    codes.UP_RUN_DIR_BUSY,
    """
    The run directory under the output directory (`build/.run`) is in use by another `monitoring-dsl up`.

    ## Why is this bad?
    Two Prometheus servers cannot share one storage directory.

    ## Example
    `monitoring-dsl up` started in two terminals.

    ## Use instead
    Stop the other one (Ctrl-C). If none is running, the lock is stale: remove `build/.run`.
    """,
    __name__,
)
