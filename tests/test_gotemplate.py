"""The Go template parser accepts what Prometheus accepts and refuses what it refuses.

The valid and invalid templates below were checked with `promtool check rules` (Prometheus 2.42), except
`{{ else with }}`, which Go accepts since 1.23 (Prometheus 3).
"""

from __future__ import annotations

import pytest

from monitoring_dsl.gotemplate import parse_template
from monitoring_dsl.gotemplate import parser as gotemplate

VALID = [
    "{{ $labels.instance }} is down",
    "{{ $value | humanizePercentage }}",
    '{{ printf "%.2f" $value }} {{ $value | printf "%.1f" }}',
    "{{ with $labels.cluster -}} on cluster {{ . }} {{- end }}",
    '{{- range query "ceph_mon_metadata" }}{{ .Labels.hostname }}{{ end }}',
    '{{ with query "up" }}{{ . | first | value | humanize }}{{ end }}',
    '{{ reReplaceAll `(\\d+)` "x" $labels.instance }}',
    "{{/* comment */}}x{{- /* another */ -}}",
    '{{ $s := "" }}{{ if gt $value 1.0 }}{{ $s = "s" }}{{ end }}{{ $s }}',
    "{{ if $labels.a }}a{{ else if $labels.b }}b{{ else }}c{{ end }}",
    "{{ with $labels.a }}{{ . }}{{ else with $labels.b }}{{ . }}{{ end }}",
    "{{ range $k, $v := $labels }}{{ $k }}={{ $v }}{{ end }}",
    "{{ range $labels }}{{ break }}{{ end }}",
    '{{ define "t" }}x{{ end }}{{ template "t" . }}',
    '{{ block "b" . }}x{{ end }}',
    "{{ $value | }}",
    "{{-3}} {{ 1e3 }} {{ 0x1F }} {{ 0b101 }} {{ 1_000 }} {{ 0x1p-2 }} {{ 1i }} {{ 1+2i }} {{ 010 }}",
    "{{ 'a' }} {{ \"\\u00e9\\x41\\101\" }} {{ nil | print }} {{ true | not }}",
    "{{ $externalURL }} {{ $externalLabels.cluster }} {{ $.Labels.job }}",
    "{{ .Value.x }} {{ .Foo }}",
    "no template at all, 100% plain",
]

INVALID = [
    ("{{ humanise $value }}", "unknown template function 'humanise'"),
    ("{{ $lables.instance }}", "undefined template variable '$lables'"),
    ("{{ if $labels.x }}a", "never closed by `{{ end }}`"),
    ("{{ end }}", "closes no block"),
    ("{{ else }}", "outside any block"),
    ("{{ $labels.instance", "never closed by `}}`"),
    ('{{ define "x" }}{{ $labels }}{{ end }}', "undefined template variable '$labels'"),
    ("{{ 1 | 2 }}", "non executable command"),
    ("{{}}", "missing value for command"),
    ('{{ "abc }}', "unterminated quoted string"),
    ("{{ break }}", "outside {{range}}"),
    ("{{ $x := 1 }}{{ if true }}{{ $y := 2 }}{{ end }}{{ $y }}", "undefined template variable '$y'"),
    ('{{ reReplaceAll "(\\d+)" "x" $labels.instance }}', "invalid escape"),
    ("{{ 089 }}", "illegal number syntax"),
    ("{{ (1 }}", "`(` is never closed"),
    ("{{ a-b }}", "bad character"),
    ("{{ /* x */ }}", "unexpected"),
]


@pytest.mark.parametrize("text", VALID)
def test_valid_template(text: str) -> None:
    """Prometheus loads these templates, and so does the parser."""
    assert parse_template(text).fatal is None


@pytest.mark.parametrize(("text", "message"), INVALID)
def test_invalid_template(text: str, message: str) -> None:
    """Prometheus refuses these templates; the parser says why."""
    problem = parse_template(text).fatal
    assert problem is not None
    assert message in problem.message


def test_label_uses_and_guards() -> None:
    """Labels read through $labels, .Labels and index are found; a label tested by if/with is guarded."""
    template = parse_template(
        '{{ $labels.a }} {{ .Labels.b }} {{ index $labels "c" }} {{ with $labels.d }}{{ $labels.d }}{{ end }}'
    )
    assert [("a", False), ("b", False), ("c", False), ("d", True), ("d", True)] == [
        (use.name, use.guarded) for use in template.labels
    ]


def test_labels_inside_range_are_not_the_alerts() -> None:
    """`.Labels` inside a range over a query is the sample's, not the alert's."""
    assert () == parse_template('{{ range query "up" }}{{ .Labels.job }}{{ end }}').labels


def test_value_uses() -> None:
    """The functions a value goes through, whether it is printed, and a `%` right after it."""
    template = parse_template("{{ $value | humanize }}% {{ if gt $value 1.0 }}x{{ end }} {{ $v := $value }}")
    assert [(("humanize",), True, True), (("gt",), False, False), ((), False, False)] == [
        (use.functions, use.printed, use.percent_after) for use in template.values
    ]


def test_suspicious_but_loadable() -> None:
    """Mistakes Prometheus loads but prints wrongly are problems that are not fatal."""
    messages = [
        [p.message for p in parse_template(text).problems if not p.fatal]
        for text in ("{{ .labels.x }}", "host $labels.instance", "{ $labels.x }}", '{{ template "nope" }}')
    ]
    assert all(len(found) == 1 for found in messages), messages


def test_deep_nesting_does_not_crash() -> None:
    """A pathological template is given up on, never a RecursionError."""
    assert parse_template("{{ " + "(" * 5000 + "1" + ")" * 5000 + " }}").fatal is None


SIMPLE = [
    "{{ $labels.instance }} of {{$labels.job}} is down",
    "{{- $labels.x -}} {{ $labels }}",
    '{{ $value }}% {{ $value|humanize }} {{ $value | printf "%.2f" }} {{ humanizeDuration $value }}',
    '{{ printf "%.1f" $value }} %',
    "{{ $value -}} left",
    "VALUE = {{ $value }}\n  LABELS = {{ $labels }}",
]


@pytest.mark.parametrize("text", [*SIMPLE, "{{ $value - }}", "{{ $labels.a.b }}", "{{$value-}}", "{{ $value | }}"])
def test_fast_path_agrees_with_the_parser(text: str) -> None:
    """The shortcut for common actions gives exactly what the full parser gives, or leaves the text to it."""
    assert gotemplate._parse_full(text) == parse_template(text)


@pytest.mark.parametrize("text", SIMPLE)
def test_fast_path_takes_common_actions(text: str) -> None:
    """The common actions do take the shortcut."""
    assert gotemplate._parse_simple(text) is not None
