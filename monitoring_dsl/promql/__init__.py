"""The only wrapper around promql_parser: parsing, Grafana macro substitution and analysis of queries."""

from monitoring_dsl.promql.analysis import (
    Grouping,
    LabelSet,
    Matcher,
    Selector,
    function_names,
    groupings,
    output_labels,
    selectors,
)
from monitoring_dsl.promql.macros import PLACEHOLDER_PREFIX, Substituted, VariableInfo, substitute
from monitoring_dsl.promql.parser import Parsed, SyntaxProblem, parse

__all__ = [
    "PLACEHOLDER_PREFIX",
    "Grouping",
    "LabelSet",
    "Matcher",
    "Parsed",
    "Selector",
    "Substituted",
    "SyntaxProblem",
    "VariableInfo",
    "function_names",
    "groupings",
    "output_labels",
    "parse",
    "selectors",
    "substitute",
]
