"""The PromQL wrapper: parsing that never raises, Grafana substitution, query facts and variable queries."""

from __future__ import annotations

import random
import subprocess
import sys
import textwrap

import pytest

from monitoring_dsl.checks.context import variable_query
from monitoring_dsl.promql import (
    PLACEHOLDER_PREFIX,
    Grouping,
    LabelSet,
    Matcher,
    Parsed,
    Selector,
    SyntaxProblem,
    VariableInfo,
    function_names,
    groupings,
    output_labels,
    parse,
    selectors,
    substitute,
)
from monitoring_dsl.promql.parser import MAX_TREE_DEPTH, _screen, tree_depth

LABELS: dict[str, frozenset[str]] = {
    "x": frozenset({"job", "instance", "a"}),
    "y": frozenset({"job", "instance", "b"}),
    "h_bucket": frozenset({"job", "instance", "endpoint", "le"}),
    "info": frozenset({"job", "instance", "extra", "version"}),
}

VARIABLES = {
    "endpoint": VariableInfo("query", ""),
    "grp": VariableInfo("query", ""),
    "iv": VariableInfo("interval", "5m"),
    "env": VariableInfo("custom", "production"),
    "n": VariableInfo("custom", "5"),
}


def labels_of(name: str) -> LabelSet:
    """A catalog lookup: None (unknown) for any name not in LABELS, like Catalog.labels_of."""
    return LABELS.get(name)


def kind(result: Parsed | SyntaxProblem) -> str:
    return type(result).__name__


def parsed(text: str) -> Parsed:
    result = parse(text)
    assert isinstance(result, Parsed), result
    return result


def problem(text: str) -> SyntaxProblem:
    result = parse(text)
    assert isinstance(result, SyntaxProblem), result
    return result


# --- parse -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "up",
        'sum by (endpoint) (rate(http_requests_total{endpoint=~"a|b"}[5m]))',
        "histogram_quantile(0.95, sum by (le) (rate(h_bucket[5m])))",
        "max_over_time(rate(x[5m])[1h:1m])",
        "x / on (job) group_left (extra) info # a comment",
    ],
)
def test_valid_query_parses(text: str) -> None:
    """A valid query gives Parsed carrying the text it was given."""
    result = parse(text)
    assert ("Parsed", text) == (kind(result), getattr(result, "text", None))


def test_unclosed_paren_points_at_the_paren() -> None:
    """`sum(rate(x[5m])` is located at the '(' that is never closed."""
    assert 3 == problem("sum(rate(x[5m])").offset


def test_unclosed_brace_points_at_the_brace() -> None:
    """`x{a="b"` is located at the '{'."""
    assert 1 == problem('x{a="b"').offset


def test_stray_closing_paren_points_at_it() -> None:
    """`rate(x[5m]))` is located at the extra ')'."""
    assert 11 == problem("rate(x[5m]))").offset


def test_unterminated_string_points_at_its_quote() -> None:
    """`x{a="b}` is located at the quote that opens the unterminated string."""
    assert 4 == problem('x{a="b}').offset


def test_unlocatable_error_has_no_offset_but_a_message() -> None:
    """`foo bar` cannot be located: offset None, and the message still says something."""
    result = problem("foo bar")
    assert (None, True) == (result.offset, bool(result.message.strip()))


def test_nested_parens_within_the_limit_parse() -> None:
    """200 nested parentheses parse."""
    assert "Parsed" == kind(parse("(" * 200 + "x" + ")" * 200))


def test_nesting_beyond_the_limit_is_refused_not_parsed() -> None:
    """2000 nested parentheses are reported as too deep instead of reaching the native parser."""
    assert "query nests 2000 brackets deep; the limit is 256" == problem("(" * 2000 + "x" + ")" * 2000).message


def _random_query(rng: random.Random, depth: int) -> str:
    """A valid query of up to `depth` nested operations, built from every kind of node the parser makes."""
    if depth == 0:
        return rng.choice(["x", 'y{a="b"}', "1", '"s"', "z offset 5m", "x @ 100"])
    inner = _random_query(rng, depth - 1)
    vector = "(" + inner + ")" if not inner.startswith('"') else "x"
    return rng.choice(
        [
            f"{vector} + {_random_query(rng, depth - 1).replace(chr(34) + 's' + chr(34), '1')}",
            f"-{vector}",
            f"sum by (a) ({vector})",
            f"topk(3, {vector})",
            f"rate({vector}[5m:1m])",
            f"max_over_time(x[5m]) and on (a) {vector}",
            f"abs({vector})",
            f"({vector})",
            f"{vector} > bool 2",
            f'label_replace({vector}, "a", "$1", "b", "(.*)")',
        ]
    )


def test_tree_depth_never_exceeds_the_screened_bound() -> None:
    """The bound `_screen` gives (tokens that make nodes, plus the leaf) is at least the tree's real depth, so
    skipping the walk below MAX_TREE_DEPTH never admits a deeper tree. Random queries of every node kind."""
    rng = random.Random(17)
    checked = 0
    for _ in range(400):
        text = _random_query(rng, rng.randint(0, 8))
        parsed = parse(text)
        if not isinstance(parsed, Parsed):
            continue
        bound = _screen(text)
        assert isinstance(bound, int)
        assert tree_depth(parsed.ast) <= bound, text
        checked += 1
    assert checked > 300  # the generator makes valid PromQL, or this test checks nothing


def test_a_bound_beyond_the_limit_walks_the_tree_and_admits_a_shallow_one() -> None:
    """900 `rate(x[1m])` joined by `+`: 2,700 node-making tokens, but a tree about 900 deep, which parses."""
    text = " + ".join(["rate(x[1m])"] * 900)
    bound = _screen(text)
    assert isinstance(bound, int) and bound > MAX_TREE_DEPTH
    assert "Parsed" == kind(parse(text))


def test_unbalanced_deep_nesting_is_located() -> None:
    """200 opening parentheses and no closers: the innermost unclosed one is reported."""
    assert 199 == problem("(" * 200).offset


def test_garbage_never_raises() -> None:
    """100 KB of random characters from PromQL's alphabet and beyond gives a SyntaxProblem each time."""
    rng = random.Random(1234)
    alphabet = "abc xyz(){}[]\"'`,=~!+-*/^%<>#\n\t0123456789.$@:\x00é漢😀\\"
    results = {kind(parse("".join(rng.choice(alphabet) for _ in range(100_000)))) for _ in range(5)}
    assert {"SyntaxProblem"} == results


@pytest.mark.parametrize(
    "text",
    [
        "\x00",
        "x\x00y",
        "\x00" * 1000,
        "métrique",
        'x{é="1"}',
        "😀",
        "\ud800",
        "",
        "   ",
        "{" * 100_000,
        '"' * 100_001,
        ")" * 100_000,
    ],
)
def test_odd_input_never_raises(text: str) -> None:
    """NUL bytes, non-ASCII, lone surrogates, empty and huge unbalanced input give a SyntaxProblem."""
    assert "SyntaxProblem" == kind(parse(text))


def test_nul_inside_a_string_is_just_a_value() -> None:
    """A NUL byte inside a quoted label value is part of the value."""
    assert "Parsed" == kind(parse('x{a="\x00"}'))


def test_long_or_chain_does_not_crash_the_process() -> None:
    """A flat 5000-term `or` chain (35 KB; it crashes promql-parser) is refused instead of killing the process."""
    script = textwrap.dedent("""
        from monitoring_dsl.promql import parse
        result = parse(" or ".join(f"m{i}" for i in range(5000)))
        print(type(result).__name__, result.message)
    """)
    run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300)
    expected = "SyntaxProblem query has 4999 operators; the limit is 1000 (split it into recording rules)"
    assert (0, expected) == (run.returncode, run.stdout.strip())


def test_or_chain_within_the_limit_parses() -> None:
    """A 900-term `or` chain is still parsed."""
    assert "Parsed" == kind(parse(" or ".join(f"m{i}" for i in range(900))))


# --- substitute: macros ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("rate(x[$__rate_interval])", "rate(x[1m])"),
        ("rate(x[${__interval}])", "rate(x[15s])"),
        ("increase(x[$__range])", "increase(x[6h])"),
        ("x * $__interval_ms", "x * 15000"),
        ("x / $__range_s", "x / 21600"),
    ],
)
def test_builtin_macro_is_replaced_by_a_sample(query: str, expected: str) -> None:
    """Each built-in macro becomes a value of its type, and is not counted as a variable."""
    result = substitute(query, {})
    assert (expected, (), ()) == (result.text, result.references, result.unknown_macros)


def test_interval_variable_uses_its_sample() -> None:
    """An interval variable becomes its first interval."""
    assert "rate(x[5m])" == substitute("rate(x[$iv])", VARIABLES).text


def test_custom_variable_uses_its_sample() -> None:
    """A custom variable becomes its first value."""
    assert 'x{env="production"}' == substitute('x{env="$env"}', VARIABLES).text


def test_query_variable_inside_quotes_becomes_a_plain_value() -> None:
    """A query variable inside a string keeps the string valid."""
    assert 'x{endpoint=~"value"}' == substitute('x{endpoint=~"$endpoint"}', VARIABLES).text


def test_query_variable_outside_quotes_becomes_the_placeholder() -> None:
    """A query variable outside quotes becomes an identifier that checks recognise."""
    assert f"sum by ({PLACEHOLDER_PREFIX}grp) (x)" == substitute("sum by ($grp) (x)", VARIABLES).text


def test_regex_formatted_variable_is_replaced() -> None:
    """`${var:regex}` is a reference to var."""
    result = substitute('x{e=~"${endpoint:regex}"}', VARIABLES)
    assert ('x{e=~"value"}', ("endpoint",)) == (result.text, result.references)


def test_double_bracket_variable_is_replaced() -> None:
    """The deprecated `[[var]]` form is a reference to var."""
    result = substitute('x{e=~"[[endpoint]]"}', VARIABLES)
    assert ('x{e=~"value"}', ("endpoint",)) == (result.text, result.references)


def test_double_bracket_variable_in_a_range() -> None:
    """`x[[[iv]]]` is a range whose duration is the variable `iv`."""
    assert "rate(x[5m])" == substitute("rate(x[[[iv]]])", VARIABLES).text


def test_regex_group_reference_is_not_a_variable() -> None:
    """`$1` in label_replace is left alone."""
    query = 'label_replace(x, "dst", "$1", "src", "(.*)")'
    result = substitute(query, VARIABLES)
    assert (query, ()) == (result.text, result.references)


def test_references_in_order_without_duplicates() -> None:
    """Each referenced variable is listed once, in order of first use."""
    query = 'x{a="$endpoint", b="${env}", c=~"[[endpoint]]"}[$iv]'
    assert ("endpoint", "env", "iv") == substitute(query, VARIABLES).references


def test_unknown_macro_is_reported() -> None:
    """`$__foo` is not a Grafana macro: reported, and not a variable reference."""
    result = substitute("rate(x[$__foo])", VARIABLES)
    assert (("__foo",), ()) == (result.unknown_macros, result.references)


def test_apostrophe_in_a_comment_does_not_open_a_string() -> None:
    """A `'` inside a `#` comment does not make the variables after it look quoted."""
    query = "# don't page on this\nsum by ($grp) (x)"
    assert f"# don't page on this\nsum by ({PLACEHOLDER_PREFIX}grp) (x)" == substitute(query, VARIABLES).text


# --- substitute: offsets -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "char"),
    [
        ('rate(x{endpoint=~"$endpoint"}[$__rate_interval])', "]"),
        ('rate(x{endpoint=~"$endpoint"}[$__rate_interval])', "}"),
        ('rate(x{e="${env}"}[$iv]) + y', "]"),
        ('rate(x{e="${env}"}[$iv]) + y', "y"),
        ("sum by ([[grp]]) (rate(x[$__interval]))", "]"),
        ("rate(x[$__range_s]) ]", "]"),
    ],
)
def test_offset_after_a_substitution_maps_back(query: str, char: str) -> None:
    """The last `char` of the substituted text maps to the last `char` of the original."""
    result = substitute(query, VARIABLES)
    assert query.rindex(char) == result.original_offset(result.text.rindex(char))


def test_offset_before_any_substitution_is_unchanged() -> None:
    """Characters before the first reference keep their offset."""
    result = substitute('rate(x{e="$env"}[5m])', VARIABLES)
    assert 5 == result.original_offset(5)


def test_offset_inside_a_longer_value_stays_in_the_reference() -> None:
    """An offset inside a value longer than its reference maps into that reference, not past it."""
    query = 'x{a="$env"}'
    result = substitute(query, VARIABLES)  # x{a="production"}
    mapped = result.original_offset(result.text.index("production") + len("production") - 1)
    start = query.index("$env")
    assert mapped in range(start, start + len("$env")), f"{mapped} is outside {start}..{start + 3}"


# --- substitute, then parse --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "query",
    [
        'sum by (endpoint) (rate(http_requests_total{endpoint=~"$endpoint"}[$__rate_interval]))',
        "histogram_quantile(0.95, sum by (le) (rate(http_request_duration_seconds_bucket[$__rate_interval])))",
        'sum(irate(grafana_http_request_duration_seconds_sum{instance=~"$instance", job=~"$job"}[$__rate_interval]))'
        ' * 1 / sum(irate(grafana_http_request_duration_seconds_count{instance=~"$instance", job=~"$job"}'
        "[$__rate_interval]))",
        'sum(rate(x{cluster="$cluster"}[$iv])) by ($grp) / ignoring($grp) group_left sum(y)',
        'sum(increase(x{env="${env}"}[$__range])) / $__range_s',
        'topk($n, sum by (instance) (rate(x{job=~"[[job]]"}[${__rate_interval}])))',
        'label_replace(up{job=~"${job:regex}"}, "host", "$1", "instance", "([^:]+):.*")',
        'avg_over_time(x{env="$env"}[$__interval]) * $__interval_ms / 1000',
    ],
)
def test_dashboard_query_parses_after_substitution(query: str) -> None:
    """Real dashboard-style queries are valid PromQL once substituted."""
    assert "Parsed" == kind(parse(substitute(query, VARIABLES).text))


# --- selectors ---------------------------------------------------------------------------------------------


def test_selector_name_and_matchers() -> None:
    """Each of = != =~ !~ is reported as label, op, value, in order."""
    expected = [
        Selector(
            "x",
            (
                Matcher("a", "=", "b"),
                Matcher("c", "!=", "d"),
                Matcher("e", "=~", "f.*"),
                Matcher("g", "!~", "h"),
            ),
            None,
            None,
        )
    ]
    assert expected == selectors(parsed('x{a="b", c!="d", e=~"f.*", g!~"h"}'))


def test_range_selector_has_its_range_and_function() -> None:
    """`rate(x[5m])` selects x over 300 seconds as rate's argument."""
    assert [Selector("x", (), 300.0, "rate")] == selectors(parsed("rate(x[5m])"))


def test_selector_inside_a_subquery_keeps_its_range() -> None:
    """The range selector under a subquery keeps its own range and function."""
    assert [Selector("x", (), 300.0, "rate")] == selectors(parsed("max_over_time(rate(x[5m])[1h:1m])"))


def test_subquery_range_is_the_range_the_function_sees() -> None:
    """`rate(x[5m:1m])`: rate sees x over 300 seconds, through a subquery."""
    assert [Selector("x", (), 300.0, "rate")] == selectors(parsed("rate(x[5m:1m])"))


def test_histogram_quantile_argument_chain() -> None:
    """The bucket selector under histogram_quantile(sum(rate())) is rate's argument."""
    query = "histogram_quantile(0.95, sum by (le) (rate(h_bucket[5m])))"
    assert [Selector("h_bucket", (), 300.0, "rate")] == selectors(parsed(query))


def test_function_names_in_order() -> None:
    """function_names lists every call, outermost first."""
    query = "histogram_quantile(0.95, sum by (le) (rate(h_bucket[5m])))"
    assert ["histogram_quantile", "rate"] == function_names(parsed(query))


def test_name_from_name_matcher() -> None:
    """`{__name__="foo"}` names the series foo."""
    assert "foo" == selectors(parsed('{__name__="foo"}'))[0].name


def test_selectors_of_a_binary_expression_in_order() -> None:
    """Both sides' selectors are listed, left first."""
    assert ["x", "y"] == [s.name for s in selectors(parsed("sum(rate(x[5m])) / sum(y)"))]


# --- groupings ---------------------------------------------------------------------------------------------


def test_by_clause_through_rate() -> None:
    """`sum by (job) (rate(x[5m]))`: rate keeps x's labels."""
    expected = [Grouping("by", ("job",), LABELS["x"], ("x",))]
    assert expected == groupings(parsed("sum by (job) (rate(x[5m]))"), labels_of)


def test_without_clause() -> None:
    """`without` is reported with its labels."""
    expected = [Grouping("without", ("instance",), LABELS["x"], ("x",))]
    assert expected == groupings(parsed("sum without (instance) (x)"), labels_of)


def test_histogram_quantile_drops_le() -> None:
    """histogram_quantile's result has no `le`."""
    grouping = groupings(parsed("sum by (endpoint) (histogram_quantile(0.9, rate(h_bucket[5m])))"), labels_of)[0]
    assert LABELS["h_bucket"] - {"le"} == grouping.available


def test_label_replace_adds_its_destination() -> None:
    """label_replace's destination label is available above it."""
    query = 'sum by (dst) (label_replace(x, "dst", "$1", "a", "(.*)"))'
    assert LABELS["x"] | {"dst"} == groupings(parsed(query), labels_of)[0].available


def test_outer_by_sees_only_the_inner_by_labels() -> None:
    """`sum by (b) (sum by (a) (x))`: only `a` is available to the outer clause."""
    outer = groupings(parsed("sum by (b) (sum by (a) (x))"), labels_of)[0]
    assert (("b",), frozenset({"a"})) == (outer.labels, outer.available)


def test_group_left_adds_the_extra_labels() -> None:
    """`x * on (job, instance) group_left (extra) info` carries x's labels and `extra`."""
    query = "sum by (extra) (x * on (job, instance) group_left (extra) info)"
    expected = [Grouping("by", ("extra",), LABELS["x"] | {"extra"}, ("x", "info"))]
    assert expected == groupings(parsed(query), labels_of)


def test_unknown_metric_leaves_grouping_unknown() -> None:
    """Nobody knows the labels of an undeclared series."""
    assert None is groupings(parsed("sum by (k) (unknown)"), labels_of)[0].available


# --- output_labels -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("1", frozenset()),
        ("vector(1)", frozenset()),
        ('count_values("v", x)', frozenset({"v"})),
        ("x or y", LABELS["x"] | LABELS["y"]),
        ("x + 1", LABELS["x"]),
        ("2 * x", LABELS["x"]),
        ("sum(x)", frozenset()),
        ("topk(3, x)", LABELS["x"]),
        ("x unless y", LABELS["x"]),
        ("x / on (job) group_left (extra) info", LABELS["x"] | {"extra"}),
    ],
)
def test_output_labels(query: str, expected: LabelSet) -> None:
    """The labels a result carries, computed bottom-up."""
    assert expected == output_labels(parsed(query), labels_of)


@pytest.mark.parametrize("query", ["unknown", "rate(unknown[5m])", "x or unknown", "sum without (a) (unknown)"])
def test_output_labels_unknown(query: str) -> None:
    """An undeclared series makes the result's labels unknown."""
    assert None is output_labels(parsed(query), labels_of)


def test_one_to_one_on_keeps_only_the_matching_labels() -> None:
    """`x + on (job) y`: a one-to-one match with `on` keeps only the `on` labels (Prometheus resultMetric)."""
    assert frozenset({"job"}) == output_labels(parsed("x + on (job) y"), labels_of)


def test_one_to_one_ignoring_drops_the_ignored_labels() -> None:
    """`x + ignoring (instance) y`: the ignored labels are dropped from the result."""
    assert LABELS["x"] - {"instance"} == output_labels(parsed("x + ignoring (instance) y"), labels_of)


# --- variable_query ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("definition", "expected"),
    [
        ('label_values(http_requests_total{job="api"}, endpoint)', ('http_requests_total{job="api"}', "endpoint")),
        ("label_values(endpoint)", (None, "endpoint")),
        ("query_result(sum(up))", ("sum(up)", None)),
        ("label_names()", (None, None)),
        ("metrics(.*)", (None, None)),
        ('label_values(x{a=~"1,2"}, b)', ('x{a=~"1,2"}', "b")),
    ],
)
def test_variable_query(definition: str, expected: tuple[str | None, str | None]) -> None:
    """The PromQL inside a Grafana variable definition, and the label it asks for."""
    assert expected == variable_query(definition)
