"""The stack from the specs: Service, Prometheus and routing models, and the files they compile into, checked
by the real promtool and amtool and by the Compose specification's JSON schema."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import jsonschema
import pytest
import yaml

from monitoring_dsl import Email, PagerDuty, Relabel, Route, Routing, Service, Slack, Webhook
from monitoring_dsl.compiler import compile_specs
from monitoring_dsl.model.base import SpecError
from monitoring_dsl.model.stack import DATASOURCE_UID, job_labels
from tests.conftest import REPO, run_cli

COMPOSE_SCHEMA = Path(__file__).parent / "data" / "compose-spec" / "compose-spec.json"

SEED_SPECS = REPO / "specs"


@pytest.fixture(scope="module")
def seed_tree() -> dict[str, bytes]:
    """The tree this repository's own specs compile into."""
    result = compile_specs([SEED_SPECS], REPO)
    assert result.artifacts is not None, [d.message for d in result.diagnostics]
    return result.artifacts


def _validate_compose(document: object) -> None:
    """Validate against the Compose schema; it declares draft-07 by an https URL jsonschema does not know."""
    schema = json.loads(COMPOSE_SCHEMA.read_text(encoding="utf-8"))
    jsonschema.Draft7Validator.check_schema(schema)
    jsonschema.Draft7Validator(schema).validate(document)


def _write(tree: dict[str, bytes], root: Path) -> Path:
    for path, data in tree.items():
        target = root / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    return root


# --- the model ----------------------------------------------------------------------------------------------


def test_service_needs_targets_or_discovery() -> None:
    """A Service with neither targets nor discovery says which two options it needs."""
    with pytest.raises(SpecError, match="exactly one of 'targets' and 'discovery' \\(got neither\\)"):
        Service("api")


def test_service_target_must_be_host_port() -> None:
    """A target without a port names the item and what was expected."""
    with pytest.raises(SpecError, match=r"targets\[0\] must be 'host:port' strings \(got 'localhost'"):
        Service("api", targets=["localhost"])


def test_relabel_replace_needs_target_label() -> None:
    with pytest.raises(SpecError, match="action 'replace' needs 'target_label'"):
        Relabel(source_labels=["__meta_kubernetes_namespace"])


def test_pagerduty_needs_one_key_file() -> None:
    with pytest.raises(SpecError, match="exactly one of 'routing_key_file' and 'service_key_file'"):
        PagerDuty("pd")


def test_attached_labels_are_extra_labels_and_relabel_targets() -> None:
    """Labels and labels written by relabelling are attached; labelmap and internal `__` labels are not."""
    service = Service(
        "api",
        discovery={"kubernetes_sd_configs": [{"role": "pod"}]},
        labels={"team": "payments"},
        relabel=[
            Relabel(source_labels=["__meta_kubernetes_namespace"], target_label="namespace"),
            Relabel(source_labels=["__meta_kubernetes_pod_name"], target_label="pod"),
            Relabel(regex="__meta_kubernetes_pod_label_(.+)", action="labelmap"),
            Relabel(source_labels=["__address__"], target_label="__param_target"),
        ],
    )
    assert frozenset({"team", "namespace", "pod"}) == service.attached_labels


def test_job_labels_of_a_metric_come_from_the_jobs_exposing_it() -> None:
    from monitoring_dsl import Counter

    requests = Counter("http_requests_total", "Requests")
    api = Service("api", targets=["localhost:8000"], labels={"service": "api"}, metrics=[requests])
    other = Service("other", targets=["localhost:8001"], labels={"zone": "a"})
    assert frozenset({"service"}) == job_labels([api, other], "http_requests_total")


def test_routing_resolves_receivers_like_alertmanager() -> None:
    """First matching route wins unless it continues; nested routes refine; no match goes to the default."""
    slack = Slack("slack", channel="#a", api_url_file="/s")
    pd = PagerDuty("pd", routing_key_file="/p")
    hook = Webhook("hook", url="http://127.0.0.1:1/")
    routing = Routing(
        receivers=[slack, pd, hook],
        default=slack,
        routes=[
            Route(hook, match={"team": "db"}, continue_=True),
            Route(pd, match={"severity": "critical"}, routes=[Route(slack, match={"env": "dev"})]),
        ],
    )
    assert ["hook", "pd"] == routing.receivers_for({"team": "db", "severity": "critical"})
    assert ["slack"] == routing.receivers_for({"severity": "critical", "env": "dev"})
    assert ["slack"] == routing.receivers_for({"severity": "info"})


# --- prometheus.yml -----------------------------------------------------------------------------------------


def test_seed_prometheus_config_passes_promtool(seed_tree: dict[str, bytes], promtool: str, tmp_path: Path) -> None:
    """`promtool check config` accepts the seed's prometheus.yml with its rule files."""
    root = _write(seed_tree, tmp_path)
    run = subprocess.run(
        [promtool, "check", "config", str(root / "prometheus" / "prometheus.yml")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert 0 == run.returncode, run.stdout + run.stderr


def test_seed_scrapes_api_every_5s_and_prometheus_itself(seed_tree: dict[str, bytes]) -> None:
    config = yaml.safe_load(seed_tree["prometheus/prometheus.yml"])
    jobs = {job["job_name"]: job for job in config["scrape_configs"]}
    assert ["localhost:8000"] == jobs["api"]["static_configs"][0]["targets"]
    assert "5s" == jobs["api"]["scrape_interval"]
    assert ["localhost:9090"] == jobs["prometheus"]["static_configs"][0]["targets"]
    assert [{"static_configs": [{"targets": ["alertmanager:9093"]}]}] == config["alerting"]["alertmanagers"]
    assert ["rules/api.yml", "rules/database.yml", "rules/slos.yml"] == config["rule_files"]


def test_discovery_and_relabelling_pass_promtool(project, promtool: str, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """A service-discovery block given as data, relabelling and extra labels make a config promtool accepts.

    DNS discovery: Debian's Prometheus 2.42 is built without Kubernetes and Consul discovery, so promtool
    here would reject `kubernetes_sd_configs` although upstream Prometheus accepts it (emitted the same way).
    """
    root = project(
        {
            "stack.py": """
            from monitoring_dsl import Prometheus, Relabel, Service
            prometheus = Prometheus(scrape_interval="30s", scrape_timeout="10s", external_labels={"cluster": "eu-1"})
            pods = Service(
                "pods",
                discovery={"dns_sd_configs": [{"names": ["_metrics._tcp.shop.internal"], "type": "SRV"}]},
                metrics_path="/internal/metrics",
                scheme="https",
                scrape_interval="15s",
                scrape_timeout="5s",
                labels={"team": "shop"},
                relabel=[
                    Relabel(source_labels=["__meta_dns_name"], regex="_metrics.*", action="keep"),
                    Relabel(source_labels=["__meta_dns_srv_record_target"], target_label="node"),
                ],
            )
            """
        }
    )
    result = compile_specs([root / "specs"], root)
    assert result.artifacts is not None, [d.message for d in result.diagnostics]
    text = result.artifacts["prometheus/prometheus.yml"].decode()
    config = yaml.safe_load(text)
    pods = config["scrape_configs"][1]
    assert [{"names": ["_metrics._tcp.shop.internal"], "type": "SRV"}] == pods["dns_sd_configs"]
    assert {"target_label": "team", "replacement": "shop"} == pods["relabel_configs"][-1]
    assert "# from specs/stack.py:3" in text.splitlines()
    file = tmp_path / "prometheus.yml"
    file.write_text(text)
    run = subprocess.run([promtool, "check", "config", str(file)], capture_output=True, text=True, timeout=60)
    assert 0 == run.returncode, run.stdout + run.stderr


def test_kubernetes_discovery_is_emitted_as_given() -> None:
    """Any `*_sd_configs` block is passed through as data, keys sorted by block name."""
    from monitoring_dsl.emit.prometheus_config import scrape_config
    from monitoring_dsl.model.project import Project

    service = Service("pods", discovery={"kubernetes_sd_configs": [{"role": "pod", "namespaces": {"names": ["a"]}}]})
    config = scrape_config(Project((), ()), service)
    assert [{"role": "pod", "namespaces": {"names": ["a"]}}] == config["kubernetes_sd_configs"]
    assert "static_configs" not in config


def test_q206_uses_the_scrape_interval_of_the_job(project) -> None:  # type: ignore[no-untyped-def]
    """rate(x[30s]) is fine for a job scraped every 5s, and too short under the default 1m interval."""
    spec = """
    from monitoring_dsl import Counter, Record, Service
    c = Counter("jobs_total", "Jobs")
    r = Record("job:jobs:rate30s", "sum(rate(jobs_total[30s]))")
    {service}
    """
    fast = project(
        {"a.py": spec.format(service='s = Service("w", targets=["localhost:1"], scrape_interval="5s", metrics=[c])')}
    )
    codes = [d.code for d in compile_specs([fast / "specs"], fast, emit=False).diagnostics]
    assert "Q206" not in codes
    (fast / "specs" / "a.py").write_text(
        spec.format(service='s = Service("w", targets=["localhost:1"], metrics=[c])').replace("\n    ", "\n")
    )
    codes = [d.code for d in compile_specs([fast / "specs"], fast, emit=False).diagnostics]
    assert "Q206" in codes


# --- alertmanager.yml ---------------------------------------------------------------------------------------


def test_seed_alertmanager_config_passes_amtool(seed_tree: dict[str, bytes], amtool: str, tmp_path: Path) -> None:
    root = _write(seed_tree, tmp_path)
    run = subprocess.run(
        [amtool, "check-config", str(root / "alertmanager" / "alertmanager.yml")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert 0 == run.returncode, run.stdout + run.stderr


@pytest.mark.parametrize(
    ("severity", "receiver"), [("critical", "pagerduty"), ("warning", "slack"), ("info", "email"), ("", "email")]
)
def test_seed_routes_by_severity_with_amtool(
    seed_tree: dict[str, bytes], amtool: str, tmp_path: Path, severity: str, receiver: str
) -> None:
    """`amtool config routes test` sends each severity where the seed says, and agrees with the model."""
    root = _write(seed_tree, tmp_path)
    labels = ["alertname=APIHighErrorRate", "service=api"] + ([f"severity={severity}"] if severity else [])
    run = subprocess.run(
        [amtool, "config", "routes", "test", f"--config.file={root / 'alertmanager' / 'alertmanager.yml'}", *labels],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert (0, receiver) == (run.returncode, run.stdout.strip()), run.stderr
    result = compile_specs([SEED_SPECS], REPO, emit=False)
    assert result.project is not None
    routing = result.project.routings[0]
    assert [receiver] == routing.receivers_for(dict(label.split("=", 1) for label in labels))


def test_inhibition_mutes_warning_of_same_alertname_and_service(seed_tree: dict[str, bytes]) -> None:
    config = yaml.safe_load(seed_tree["alertmanager/alertmanager.yml"])
    assert [
        {
            "source_matchers": ['severity="critical"'],
            "target_matchers": ['severity="warning"'],
            "equal": ["alertname", "service"],
        }
    ] == config["inhibit_rules"]


def test_secrets_are_file_references_only(seed_tree: dict[str, bytes]) -> None:
    """Every receiver secret is a `*_file` path; no URL of a notification service is in the build."""
    config = yaml.safe_load(seed_tree["alertmanager/alertmanager.yml"])
    by_name = {r["name"]: r for r in config["receivers"]}
    assert "/etc/alertmanager/secrets/slack-webhook-url" == by_name["slack"]["slack_configs"][0]["api_url_file"]
    assert (
        "/etc/alertmanager/secrets/pagerduty-routing-key"
        == (by_name["pagerduty"]["pagerduty_configs"][0]["routing_key_file"])
    )
    assert "/etc/alertmanager/secrets/smtp-password" == by_name["email"]["email_configs"][0]["auth_password_file"]
    everything = b"".join(seed_tree.values())
    assert b"hooks.slack.com" not in everything
    assert b"api_url:" not in everything


def test_inline_secret_stops_the_build(project) -> None:  # type: ignore[no-untyped-def]
    """S601 is an error: the build writes nothing and exits 2, pointing at the secret."""
    root = project(
        {
            "stack.py": """
            from monitoring_dsl import Email, Routing
            email = Email("email", to="a@example.com", from_="am@example.com", smarthost="smtp.example.com:587",
                          auth_password_file="hunter2hunter2hunter2")
            routing = Routing(receivers=[email], default=email)
            """
        }
    )
    run = run_cli("build", cwd=root)
    assert 2 == run.code
    assert "specs/stack.py:3:" in run.stderr
    assert "S601" in run.stderr
    assert not (root / "build").exists()


# --- Grafana provisioning and docker-compose ----------------------------------------------------------------


def test_datasource_uid_is_the_dashboards_default(seed_tree: dict[str, bytes]) -> None:
    """The provisioned datasource's uid is what every dashboard's `datasource` variable selects by default."""
    datasources = yaml.safe_load(seed_tree["grafana/provisioning/datasources/prometheus.yaml"])["datasources"]
    assert [DATASOURCE_UID] == [d["uid"] for d in datasources]
    for path, data in seed_tree.items():
        if path.startswith("grafana/dashboards/"):
            variable = json.loads(data)["templating"]["list"][0]
            assert ("datasource", DATASOURCE_UID) == (variable["name"], variable["current"]["value"]), path


def test_dashboard_provider_per_spec_module(seed_tree: dict[str, bytes]) -> None:
    providers = yaml.safe_load(seed_tree["grafana/provisioning/dashboards/monitoring-dsl.yaml"])["providers"]
    assert ["api", "business", "database", "slos", "system_overview"] == [p["folder"] for p in providers]
    compose = yaml.safe_load(seed_tree["docker-compose.yml"])
    mounts = compose["services"]["grafana"]["volumes"]
    assert "./grafana/dashboards/api-performance.json:/var/lib/grafana/dashboards/api/api-performance.json:ro" in mounts


def test_compose_file_is_valid_against_the_compose_spec(seed_tree: dict[str, bytes]) -> None:
    _validate_compose(yaml.safe_load(seed_tree["docker-compose.yml"]))


def test_compose_with_a_service_image_is_valid(project) -> None:  # type: ignore[no-untyped-def]
    """A Service that declares an image joins the stack and stays valid against the schema."""
    root = project(
        {
            "stack.py": """
            from monitoring_dsl import Service
            api = Service("api", targets=["localhost:8000"], image="ghcr.io/example/api:1.2")
            """
        }
    )
    result = compile_specs([root / "specs"], root)
    assert result.artifacts is not None
    compose = yaml.safe_load(result.artifacts["docker-compose.yml"])
    _validate_compose(compose)
    assert "ghcr.io/example/api:1.2" == compose["services"]["api"]["image"]
    assert "127.0.0.1:8000:8000" in compose["services"]["prometheus"]["ports"]


def test_compose_invalid_document_is_rejected_by_the_schema() -> None:
    """The schema check can fail: a port given as a mapping is not a Compose file."""
    with pytest.raises(jsonschema.ValidationError):
        _validate_compose({"services": {"x": {"image": "a", "ports": {"bad": 1}}}})


def test_compose_publishes_on_loopback_only_and_has_no_default_password(seed_tree: dict[str, bytes]) -> None:
    compose = yaml.safe_load(seed_tree["docker-compose.yml"])
    ports = [port for service in compose["services"].values() for port in service.get("ports", [])]
    assert ports and all(port.startswith("127.0.0.1:") for port in ports)
    password = compose["services"]["grafana"]["environment"]["GF_SECURITY_ADMIN_PASSWORD"]
    assert password.startswith("${GF_ADMIN_PASSWORD:?")


def test_stack_files_are_stable_and_name_their_spec_lines(seed_tree: dict[str, bytes]) -> None:
    """A second compile gives the same bytes; every block of alertmanager.yml names its spec line."""
    again = compile_specs([SEED_SPECS], REPO).artifacts
    assert seed_tree == again
    text = seed_tree["alertmanager/alertmanager.yml"].decode()
    assert text.startswith("# Generated by monitoring-dsl from specs/stack.py.")
    assert 7 == sum(1 for line in text.splitlines() if line.strip().startswith("# from specs/stack.py:"))


def test_no_stack_no_stack_files(project) -> None:  # type: ignore[no-untyped-def]
    """Specs without Service, Prometheus or Routing build exactly what they built before."""
    root = project({"a.py": 'from monitoring_dsl import Counter\nc = Counter("jobs_total", "Jobs")\n'})
    result = compile_specs([root / "specs"], root)
    assert result.artifacts is not None
    assert ["instrumentation/a.py"] == sorted(result.artifacts)  # the metric's prometheus_client module only


GOLDEN_STACK = Path(__file__).parent / "golden" / "stack" / "expected"


def test_golden_stack_passes_promtool_amtool_and_the_compose_schema(promtool: str, amtool: str) -> None:
    """The golden stack (discovery, relabelling, nested routes, every receiver type) is valid for each tool."""
    prometheus = subprocess.run(
        [promtool, "check", "config", str(GOLDEN_STACK / "prometheus" / "prometheus.yml")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert 0 == prometheus.returncode, prometheus.stdout + prometheus.stderr
    alertmanager = subprocess.run(
        [amtool, "check-config", str(GOLDEN_STACK / "alertmanager" / "alertmanager.yml")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert 0 == alertmanager.returncode, alertmanager.stdout + alertmanager.stderr
    _validate_compose(yaml.safe_load((GOLDEN_STACK / "docker-compose.yml").read_bytes()))


@pytest.mark.parametrize(
    ("labels", "receivers"),
    [
        (["team=batch", "severity=critical"], "audit,batch-pager"),
        (["team=batch", "severity=warning"], "audit,batch-chat"),
        (["severity=critical"], "mail"),
    ],
)
def test_golden_nested_routes_agree_with_amtool(amtool: str, labels: list[str], receivers: str) -> None:
    """`continue` and nested routes resolve the same in Alertmanager and in Routing.receivers_for."""
    config = GOLDEN_STACK / "alertmanager" / "alertmanager.yml"
    run = subprocess.run(
        [amtool, "config", "routes", "test", f"--config.file={config}", *labels],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert (0, receivers) == (run.returncode, run.stdout.strip()), run.stderr
    root = GOLDEN_STACK.parent
    result = compile_specs([root / "specs"], root, emit=False)
    assert result.project is not None
    assert receivers.split(",") == result.project.routings[0].receivers_for(dict(x.split("=", 1) for x in labels))


def test_labels_a_job_attaches_are_labels_of_its_metrics(project) -> None:  # type: ignore[no-untyped-def]
    """Q212/Q213 accept a label the job's relabelling or extra labels attach, only on the metrics it exposes."""
    spec = """
    from monitoring_dsl import Counter, Gauge, Record, Relabel, Service
    c = Counter("jobs_total", "Jobs")
    g = Gauge("queue_depth", "Queued")
    s = Service("w", discovery={"dns_sd_configs": [{"names": ["w.internal"]}]}, labels={"team": "batch"},
                relabel=[Relabel(source_labels=["__meta_dns_name"], target_label="node")], metrics=[c])
    r = Record("node:jobs:rate5m", 'sum by (node, team) (rate(jobs_total{team="batch"}[5m]))')
    q = Record("node:queue_depth:max", "max by (node) (queue_depth)")
    """
    root = project({"a.py": spec})
    found = [(d.code, d.location.line) for d in compile_specs([root / "specs"], root, emit=False).diagnostics]
    assert [("Q213", 7)] == [(code, line) for code, line in found if code in ("Q212", "Q213")]


def test_compose_secret_names_stay_distinct() -> None:
    """Two secret files with one file name become two Compose secrets; one file used twice stays one."""
    from monitoring_dsl.emit.compose import secret_files

    receivers = [
        Slack("a", channel="#a", api_url_file="/etc/am/team-a/webhook"),
        Slack("b", channel="#b", api_url_file="/etc/am/team-b/webhook"),
        Slack("c", channel="#c", api_url_file="/etc/am/team-a/webhook"),
        Email("e", to="x@example.com", from_="y@example.com", smarthost="smtp:25"),
    ]
    assert {"webhook": "/etc/am/team-a/webhook", "webhook-2": "/etc/am/team-b/webhook"} == secret_files(receivers)
