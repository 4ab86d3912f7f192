"""Go text/template as Prometheus reads alert annotations and labels: a parser (no check), a sibling of promql/."""

from __future__ import annotations

from monitoring_dsl.gotemplate.parser import Template, parse_template

__all__ = ["Template", "parse_template"]
