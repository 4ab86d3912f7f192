"""The stack vocabulary: scrape jobs (`Service`), the Prometheus server, and Alertmanager routing.

These compile into `prometheus.yml`, `alertmanager.yml`, Grafana provisioning and a docker-compose stack.
Secrets are never values here: receivers take the path of a file that holds them (`*_file`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, ClassVar

import attrs

from monitoring_dsl.model.base import (
    SpecError,
    allow_field,
    check_bool,
    check_choice,
    check_items,
    check_nonempty_str,
    check_optional_positive_int,
    check_optional_str,
    check_str_mapping,
    location_field,
    spec,
    to_mapping,
    to_tuple,
)
from monitoring_dsl.model.metrics import LABEL_NAME_RE, Metric
from monitoring_dsl.model.rules import check_duration

# The uid of the Prometheus datasource that Grafana provisioning declares and every dashboard's `datasource`
# variable defaults to.
DATASOURCE_UID = "prometheus"

RELABEL_ACTIONS = (
    "replace",
    "keep",
    "drop",
    "hashmod",
    "labelmap",
    "labeldrop",
    "labelkeep",
    "lowercase",
    "uppercase",
    "keepequal",
    "dropequal",
)
# Actions that write `target_label`, so the label they name is one the job's series carry.
_WRITING_ACTIONS = ("replace", "hashmod", "lowercase", "uppercase")
_JOB_NAME_RE = re.compile(r"^[A-Za-z0-9_.:-]+$")
_HOST_PORT_RE = re.compile(r"^[A-Za-z0-9_.\-\[\]:]+:\d{1,5}$")


def _is_label_name(item: object) -> bool:
    return isinstance(item, str) and bool(LABEL_NAME_RE.match(item))


def _check_label_names(instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    check_items("label names like 'service'", _is_label_name)(instance, attribute, value)


def _check_optional_label(instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if value is not None and not _is_label_name(value):
        raise SpecError(
            f"{type(instance).__name__}: {attribute.name!r} must be a label name such as 'service' (got {value!r})",
            field=attribute.name,
        )


def _check_label_mapping(instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    check_str_mapping(instance, attribute, value)
    assert isinstance(value, Mapping)
    for key in value:
        if not _is_label_name(key):
            raise SpecError(
                f"{type(instance).__name__}: {attribute.name!r} keys must be label names such as 'team' (got {key!r})",
                field=attribute.name,
            )


@spec
class Relabel:
    """One relabelling step of a scrape job, as Prometheus's `relabel_configs` entry.

    Example:
        Relabel(source_labels=["__meta_kubernetes_namespace"], target_label="namespace")
    """

    source_labels: tuple[str, ...] = attrs.field(
        default=(), converter=to_tuple, validator=_check_label_names, kw_only=True
    )
    separator: str | None = attrs.field(default=None, validator=check_optional_str, kw_only=True)
    regex: str | None = attrs.field(default=None, validator=check_optional_str, kw_only=True)
    modulus: int | None = attrs.field(default=None, validator=check_optional_positive_int, kw_only=True)
    target_label: str | None = attrs.field(default=None, validator=_check_optional_label, kw_only=True)
    replacement: str | None = attrs.field(default=None, validator=check_optional_str, kw_only=True)
    action: str = attrs.field(default="replace", validator=check_choice(*RELABEL_ACTIONS), kw_only=True)
    allow: dict[str, str] = allow_field()
    location: Any = location_field()

    def __attrs_post_init__(self) -> None:
        if self.action in ("replace", "hashmod", "lowercase", "uppercase") and self.target_label is None:
            raise SpecError(
                f"Relabel: action {self.action!r} needs 'target_label' (got None)",
                help="name the label this step writes, e.g. target_label='namespace'",
                field="action",
            )
        if self.action == "hashmod" and self.modulus is None:
            raise SpecError("Relabel: action 'hashmod' needs 'modulus' (got None)", field="action")


def _is_relabel(item: object) -> bool:
    return isinstance(item, Relabel)


def _is_metric(item: object) -> bool:
    return isinstance(item, Metric)


def _is_target(item: object) -> bool:
    return isinstance(item, str) and bool(_HOST_PORT_RE.match(item))


def _check_job_name(instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if not isinstance(value, str) or not _JOB_NAME_RE.match(value):
        raise SpecError(
            f"Service: 'name' must be a job name of letters, digits, '_', '.', ':' or '-' (got {value!r})",
            help="the name becomes the `job` label of every series scraped from the service",
            field=attribute.name,
        )


def _check_discovery(instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if value is None:
        return
    if not isinstance(value, Mapping) or not value:
        raise SpecError(
            f"Service: 'discovery' must be a dict such as {{'kubernetes_sd_configs': [{{'role': 'pod'}}]}} "
            f"(got {value!r})",
            field=attribute.name,
        )
    for key, configs in value.items():
        if not isinstance(key, str) or not key.endswith("_sd_configs"):
            raise SpecError(
                f"Service: 'discovery' keys must be Prometheus service-discovery blocks ending in '_sd_configs' "
                f"(got {key!r})",
                help="e.g. kubernetes_sd_configs, consul_sd_configs, file_sd_configs, dns_sd_configs",
                field=attribute.name,
            )
        if not isinstance(configs, (list, tuple)) or not all(isinstance(c, Mapping) for c in configs):
            raise SpecError(
                f"Service: discovery[{key!r}] must be a list of dicts (got {configs!r})",
                field=attribute.name,
            )


def _freeze(value: object) -> object:
    """A copy of plain data (dicts, lists), so changing the user's object later changes nothing here."""
    if isinstance(value, Mapping):
        return {str(k): _freeze(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_freeze(v) for v in value]
    return value


@spec
class Service:
    """A scrape job: where Prometheus finds a service's targets and how it scrapes them.

    Give `targets` (host:port) or `discovery` (Prometheus service-discovery blocks as data). `metrics` lists the
    catalog metrics the service exposes; `labels` are added to every target; `relabel` steps run before the
    scrape. `image` adds the service to the generated docker-compose stack.

    Example:
        api = Service("api", targets=["localhost:8000"], scrape_interval="5s", metrics=[requests, latency])
    """

    name: str = attrs.field(validator=_check_job_name)
    targets: tuple[str, ...] = attrs.field(
        default=(), converter=to_tuple, validator=check_items("'host:port' strings", _is_target), kw_only=True
    )
    discovery: dict[str, Any] | None = attrs.field(
        default=None,
        converter=lambda v: _freeze(v) if isinstance(v, Mapping) else v,
        validator=_check_discovery,
        kw_only=True,
    )
    metrics_path: str | None = attrs.field(default=None, validator=check_optional_str, kw_only=True)
    scheme: str | None = attrs.field(
        default=None, validator=attrs.validators.optional(check_choice("http", "https")), kw_only=True
    )
    scrape_interval: str | None = attrs.field(default=None, validator=check_duration, kw_only=True)
    scrape_timeout: str | None = attrs.field(default=None, validator=check_duration, kw_only=True)
    relabel: tuple[Relabel, ...] = attrs.field(
        default=(), converter=to_tuple, validator=check_items("Relabel objects", _is_relabel), kw_only=True
    )
    labels: dict[str, str] = attrs.field(
        factory=dict, converter=to_mapping, validator=_check_label_mapping, kw_only=True
    )
    metrics: tuple[Metric, ...] = attrs.field(
        default=(), converter=to_tuple, validator=check_items("metric objects", _is_metric), kw_only=True
    )
    image: str | None = attrs.field(default=None, validator=check_optional_str, kw_only=True)
    allow: dict[str, str] = allow_field()
    location: Any = location_field()

    def __attrs_post_init__(self) -> None:
        if bool(self.targets) == (self.discovery is not None):
            raise SpecError(
                f"Service: give exactly one of 'targets' and 'discovery' (got {'both' if self.targets else 'neither'})",
                help="targets=['host:port'] for fixed targets, discovery={'kubernetes_sd_configs': [...]} otherwise",
                field="targets",
            )

    @property
    def attached_labels(self) -> frozenset[str]:
        """Label names this job attaches to every series it scrapes: `labels` and relabelled `target_label`s.

        `job` and `instance` are not included: every target carries them. A `labelmap` step's names depend on
        the targets and cannot be known here.
        """
        written = {r.target_label for r in self.relabel if r.action in _WRITING_ACTIONS and r.target_label}
        return frozenset(self.labels) | frozenset(n for n in written if not n.startswith("__"))

    @property
    def metric_names(self) -> frozenset[str]:
        return frozenset(metric.name for metric in self.metrics)


def job_labels(services: list[Service], metric_name: str) -> frozenset[str]:
    """Labels the jobs that expose `metric_name` attach to it (their `attached_labels`), for label checks."""
    found: set[str] = set()
    for service in services:
        if metric_name in service.metric_names:
            found |= service.attached_labels
    return frozenset(found)


@spec
class Prometheus:
    """The Prometheus server of the stack: global intervals, external labels, and whether it scrapes itself.

    Example:
        Prometheus(scrape_interval="15s", evaluation_interval="15s", external_labels={"cluster": "prod"})
    """

    scrape_interval: str = attrs.field(default="1m", validator=check_duration, kw_only=True)
    scrape_timeout: str | None = attrs.field(default=None, validator=check_duration, kw_only=True)
    evaluation_interval: str = attrs.field(default="1m", validator=check_duration, kw_only=True)
    external_labels: dict[str, str] = attrs.field(
        factory=dict, converter=to_mapping, validator=_check_label_mapping, kw_only=True
    )
    scrape_self: bool = attrs.field(default=True, validator=check_bool, kw_only=True)
    allow: dict[str, str] = allow_field()
    location: Any = location_field()


# --- Alertmanager -------------------------------------------------------------------------------------------


def _check_file_path(instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    """A `*_file` option: a string (S601 inline-secret reports values that are secrets, not paths)."""
    if value is not None and (not isinstance(value, str) or not value):
        raise SpecError(
            f"{type(instance).__name__}: {attribute.name!r} must be the path of a file holding the secret "
            f"(got {value!r})",
            help="e.g. '/etc/alertmanager/secrets/slack-webhook-url'; the file is read by Alertmanager",
            field=attribute.name,
        )


@spec
class Receiver:
    """Base of the receiver types; not used directly in specs."""

    kind: ClassVar[str] = ""
    secret_fields: ClassVar[tuple[str, ...]] = ()

    name: str = attrs.field(validator=check_nonempty_str)
    send_resolved: bool | None = attrs.field(
        default=None, validator=attrs.validators.optional(check_bool), kw_only=True
    )
    allow: dict[str, str] = allow_field()
    location: Any = location_field()

    def config(self) -> dict[str, object]:
        """This receiver's `<kind>_configs` entry, keys in Alertmanager's documented order."""
        raise NotImplementedError


def _put(config: dict[str, object], key: str, value: object) -> None:
    if value is not None:
        config[key] = value


@spec
class Slack(Receiver):
    """Notifications to a Slack channel through an incoming webhook whose URL is kept in a file.

    Example:
        Slack("slack", channel="#alerts", api_url_file="/etc/alertmanager/secrets/slack-webhook-url")
    """

    kind: ClassVar[str] = "slack"
    secret_fields: ClassVar[tuple[str, ...]] = ("api_url_file",)

    channel: str = attrs.field(kw_only=True, validator=check_nonempty_str)
    api_url_file: str = attrs.field(kw_only=True, validator=_check_file_path)
    title: str | None = attrs.field(default=None, validator=check_optional_str, kw_only=True)
    text: str | None = attrs.field(default=None, validator=check_optional_str, kw_only=True)

    def config(self) -> dict[str, object]:
        config: dict[str, object] = {}
        _put(config, "send_resolved", self.send_resolved)
        config["api_url_file"] = self.api_url_file
        config["channel"] = self.channel
        _put(config, "title", self.title)
        _put(config, "text", self.text)
        return config


@spec
class PagerDuty(Receiver):
    """Pages through PagerDuty: Events API v2 `routing_key_file`, or the older `service_key_file`.

    Example:
        PagerDuty("pagerduty", routing_key_file="/etc/alertmanager/secrets/pagerduty-routing-key")
    """

    kind: ClassVar[str] = "pagerduty"
    secret_fields: ClassVar[tuple[str, ...]] = ("routing_key_file", "service_key_file")

    routing_key_file: str | None = attrs.field(default=None, kw_only=True, validator=_check_file_path)
    service_key_file: str | None = attrs.field(default=None, kw_only=True, validator=_check_file_path)
    severity: str | None = attrs.field(default=None, validator=check_optional_str, kw_only=True)

    def __attrs_post_init__(self) -> None:
        if (self.routing_key_file is None) == (self.service_key_file is None):
            raise SpecError(
                "PagerDuty: give exactly one of 'routing_key_file' and 'service_key_file' "
                f"(got {'both' if self.routing_key_file else 'neither'})",
                help="routing_key_file for an Events API v2 integration, service_key_file for the older one",
                field="routing_key_file",
            )

    def config(self) -> dict[str, object]:
        config: dict[str, object] = {}
        _put(config, "send_resolved", self.send_resolved)
        _put(config, "routing_key_file", self.routing_key_file)
        _put(config, "service_key_file", self.service_key_file)
        _put(config, "severity", self.severity)
        return config


@spec
class Email(Receiver):
    """Email through an SMTP relay; the SMTP password is read from `auth_password_file`.

    Example:
        Email("email", to="oncall@example.com", from_="alertmanager@example.com", smarthost="smtp.example.com:587",
              auth_username="alertmanager", auth_password_file="/etc/alertmanager/secrets/smtp-password")
    """

    kind: ClassVar[str] = "email"
    secret_fields: ClassVar[tuple[str, ...]] = ("auth_password_file",)

    to: str = attrs.field(kw_only=True, validator=check_nonempty_str)
    from_: str = attrs.field(kw_only=True, validator=check_nonempty_str)
    smarthost: str = attrs.field(kw_only=True, validator=check_nonempty_str)
    auth_username: str | None = attrs.field(default=None, validator=check_optional_str, kw_only=True)
    auth_password_file: str | None = attrs.field(default=None, kw_only=True, validator=_check_file_path)
    require_tls: bool | None = attrs.field(default=None, validator=attrs.validators.optional(check_bool), kw_only=True)

    def config(self) -> dict[str, object]:
        config: dict[str, object] = {}
        _put(config, "send_resolved", self.send_resolved)
        config["to"] = self.to
        config["from"] = self.from_
        config["smarthost"] = self.smarthost
        _put(config, "auth_username", self.auth_username)
        _put(config, "auth_password_file", self.auth_password_file)
        _put(config, "require_tls", self.require_tls)
        return config


@spec
class Webhook(Receiver):
    """A generic webhook: Alertmanager POSTs its JSON payload to `url`. A bearer token comes from a file.

    Example:
        Webhook("audit", url="http://audit.internal:9000/alerts", bearer_token_file="/etc/alertmanager/secrets/audit")
    """

    kind: ClassVar[str] = "webhook"
    secret_fields: ClassVar[tuple[str, ...]] = ("bearer_token_file",)

    url: str = attrs.field(kw_only=True, validator=check_nonempty_str)
    bearer_token_file: str | None = attrs.field(default=None, kw_only=True, validator=_check_file_path)
    max_alerts: int | None = attrs.field(default=None, validator=check_optional_positive_int, kw_only=True)

    def config(self) -> dict[str, object]:
        config: dict[str, object] = {}
        _put(config, "send_resolved", self.send_resolved)
        if self.bearer_token_file is not None:
            config["http_config"] = {"authorization": {"credentials_file": self.bearer_token_file}}
        config["url"] = self.url
        _put(config, "max_alerts", self.max_alerts)
        return config


def _receiver_name(value: object) -> object:
    return value.name if isinstance(value, Receiver) else value


def _check_group_by(instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    check_items("label names, or '...' for all labels", lambda s: s == "..." or _is_label_name(s))(
        instance, attribute, value
    )


def _is_route(item: object) -> bool:
    return isinstance(item, Route)


@spec
class Route:
    """A branch of the routing tree: alerts whose labels match go to `receiver` (a name or a receiver object).

    `match` compares label values for equality, `match_re` with an RE2 regular expression. Grouping and timing
    options not given are inherited from the parent route.

    Example:
        Route(pagerduty, match={"severity": "critical"}, repeat_interval="1h")
    """

    receiver: str = attrs.field(converter=_receiver_name, validator=check_nonempty_str)
    match: dict[str, str] = attrs.field(
        factory=dict, converter=to_mapping, validator=_check_label_mapping, kw_only=True
    )
    match_re: dict[str, str] = attrs.field(
        factory=dict, converter=to_mapping, validator=_check_label_mapping, kw_only=True
    )
    group_by: tuple[str, ...] | None = attrs.field(
        default=None, converter=to_tuple, validator=attrs.validators.optional(_check_group_by), kw_only=True
    )
    group_wait: str | None = attrs.field(default=None, validator=check_duration, kw_only=True)
    group_interval: str | None = attrs.field(default=None, validator=check_duration, kw_only=True)
    repeat_interval: str | None = attrs.field(default=None, validator=check_duration, kw_only=True)
    continue_: bool = attrs.field(default=False, validator=check_bool, kw_only=True)
    routes: tuple[Route, ...] = attrs.field(
        default=(), converter=to_tuple, validator=check_items("Route objects", _is_route), kw_only=True
    )
    allow: dict[str, str] = allow_field()
    location: Any = location_field()

    def matches(self, labels: Mapping[str, str]) -> bool:
        """Whether an alert with `labels` matches this route's own matchers (Alertmanager's semantics)."""
        for label, value in self.match.items():
            if labels.get(label, "") != value:
                return False
        return all(re.fullmatch(pattern, labels.get(label, "")) for label, pattern in self.match_re.items())


def _is_receiver(item: object) -> bool:
    return isinstance(item, Receiver)


@spec
class Inhibit:
    """While an alert matching `source` fires, alerts matching `target` with the same `equal` labels are muted.

    Example:
        Inhibit(source={"severity": "critical"}, target={"severity": "warning"}, equal=["alertname", "service"])
    """

    source: dict[str, str] = attrs.field(converter=to_mapping, validator=_check_label_mapping, kw_only=True)
    target: dict[str, str] = attrs.field(converter=to_mapping, validator=_check_label_mapping, kw_only=True)
    equal: tuple[str, ...] = attrs.field(default=(), converter=to_tuple, validator=_check_label_names, kw_only=True)
    allow: dict[str, str] = allow_field()
    location: Any = location_field()


@spec
class Routing:
    """Where alerts go: the receivers, the routes that choose among them, and inhibitions.

    Alerts no route matches go to `default`. Grouping and timing options apply to every route that does not set
    its own.

    Example:
        Routing(receivers=[pagerduty, slack, email], default=email,
                routes=[Route(pagerduty, match={"severity": "critical"}), Route(slack, match={"severity": "warning"})],
                inhibit=[Inhibit(source={"severity": "critical"}, target={"severity": "warning"},
                                 equal=["alertname", "service"])])
    """

    receivers: tuple[Receiver, ...] = attrs.field(
        converter=to_tuple,
        validator=check_items("receivers (Slack, PagerDuty, Email, Webhook)", _is_receiver),
        kw_only=True,
    )
    default: str = attrs.field(converter=_receiver_name, validator=check_nonempty_str, kw_only=True)
    routes: tuple[Route, ...] = attrs.field(
        default=(), converter=to_tuple, validator=check_items("Route objects", _is_route), kw_only=True
    )
    group_by: tuple[str, ...] = attrs.field(
        default=("alertname", "service"), converter=to_tuple, validator=_check_group_by, kw_only=True
    )
    group_wait: str = attrs.field(default="30s", validator=check_duration, kw_only=True)
    group_interval: str = attrs.field(default="5m", validator=check_duration, kw_only=True)
    repeat_interval: str = attrs.field(default="4h", validator=check_duration, kw_only=True)
    inhibit: tuple[Inhibit, ...] = attrs.field(
        default=(),
        converter=to_tuple,
        validator=check_items("Inhibit objects", lambda i: isinstance(i, Inhibit)),
        kw_only=True,
    )
    allow: dict[str, str] = allow_field()
    location: Any = location_field()

    def all_routes(self) -> list[Route]:
        """Every route of the tree, depth first, in declaration order."""
        found: list[Route] = []
        stack = list(reversed(self.routes))
        while stack:
            route = stack.pop()
            found.append(route)
            stack.extend(reversed(route.routes))
        return found

    def receivers_for(self, labels: Mapping[str, str]) -> list[str]:
        """The receivers an alert with `labels` is sent to, as `amtool config routes test` resolves them."""
        found = _walk(self.routes, labels)
        return found or [self.default]


def _walk(routes: tuple[Route, ...], labels: Mapping[str, str]) -> list[str]:
    found: list[str] = []
    for route in routes:
        if not route.matches(labels):
            continue
        deeper = _walk(route.routes, labels)
        found.extend(deeper or [route.receiver])
        if not route.continue_:
            break
    return found
