"""Go text/template as Prometheus reads alert annotations and labels: the errors it refuses, and the facts the
A3xx checks need (which labels a template prints, where `$value` goes, which functions it calls).

Prometheus parses every annotation and label of an alerting rule when it loads the rule file, after prepending
`{{$labels := .Labels}}{{$externalLabels := .ExternalLabels}}{{$externalURL := .ExternalURL}}{{$value :=
.Value}}`, with Go's builtin functions plus its own. A parse error makes it refuse the whole file. The lexer and
parser here follow Go's `text/template/parse` closely (the same tokens, the same grammar, the same first error)
so that what they accept is what Prometheus accepts; thousands of mutated templates were compared with
`promtool check rules`. One deliberate difference: `{{ else with }}`, which Go accepts since 1.23 (Prometheus 3)
and older Prometheus refuses, is accepted. Nothing is executed.
"""

from __future__ import annotations

import enum
import re
import unicodedata
from typing import NamedTuple

import attrs

from monitoring_dsl.model.base import nearest


def _names(words: str) -> frozenset[str]:
    return frozenset(words.split())


# Go's builtins (text/template/funcs.go).
GO_FUNCTIONS = _names("and call html index slice js len not or print printf println urlquery eq ge gt le lt ne")

# Prometheus's own (template/template.go), from 2.x to 3.x: stripDomain and toTime came after 2.42, so
# accepting them can only miss an error for an old Prometheus, never invent one.
PROMETHEUS_FUNCTIONS = _names(
    "query first label value strvalue args reReplaceAll safeHtml match title toUpper toLower graphLink "
    "tableLink sortByLabel stripPort stripDomain humanize humanize1024 humanizeDuration humanizePercentage "
    "humanizeTimestamp toTime pathPrefix externalURL parseDuration"
)

FUNCTIONS = GO_FUNCTIONS | PROMETHEUS_FUNCTIONS

# The variables Prometheus declares before the user's text, and what each holds.
ALERT_VARIABLES = {"$labels": "labels", "$externalLabels": "other", "$externalURL": "other", "$value": "value"}
# The fields of the data an alert template runs on.
ALERT_FIELDS = {"Labels": "labels", "ExternalLabels": "other", "ExternalURL": "other", "Value": "value"}

# Functions whose result is a yes/no about their arguments: a value that only goes through them is not printed.
_TESTS = frozenset({"eq", "ne", "lt", "le", "gt", "ge", "not", "match", "len"})

MAX_DEPTH = 100  # nesting of parentheses and blocks; Go allows more, real templates use a handful


@attrs.frozen
class Problem:
    """A mistake in a template. `fatal`: Prometheus refuses the rule file; otherwise the template loads but
    fails or prints something unintended when an alert fires. `offset` and `length` mark the culprit."""

    message: str
    offset: int
    length: int
    fatal: bool
    help: str | None = None


@attrs.frozen
class LabelUse:
    """A label of the alert that the template reads: `$labels.x`, `.Labels.x` or `index $labels "x"`.

    `guarded` is True inside the condition or the body of an `if`/`with` that tests that label, where a
    missing label prints nothing instead of an empty string.
    """

    name: str
    offset: int
    length: int
    guarded: bool


@attrs.frozen
class ValueUse:
    """A use of the alert's value (`$value` or `.Value`), with the functions it goes through in order.

    `printed` is True when the value ends up in the output (an action, not a condition or a comparison).
    """

    offset: int
    length: int
    functions: tuple[str, ...]
    printed: bool
    percent_after: bool = False  # the action printing it is followed by `%`: "{{ $value }}%"


@attrs.frozen
class QueryUse:
    """A PromQL query the template runs with Prometheus's `query` function: `{{ query "up == 0" }}`.

    `text` is the string's value; `offset` and `length` mark the string literal in the template.
    """

    text: str
    offset: int
    length: int


@attrs.frozen
class Template:
    """What one annotation or label value holds. Facts are empty when the template has a fatal problem."""

    text: str
    problems: tuple[Problem, ...]
    labels: tuple[LabelUse, ...] = ()
    values: tuple[ValueUse, ...] = ()
    functions: frozenset[str] = frozenset()
    literal: str = ""  # the text outside actions and comments, each piece on its own line
    has_actions: bool = False
    queries: tuple[QueryUse, ...] = ()

    @property
    def fatal(self) -> Problem | None:
        return next((p for p in self.problems if p.fatal), None)


# --- lexer -------------------------------------------------------------------------------------------------


class _K(enum.Enum):
    TEXT = "text"
    LEFT_DELIM = "{{"
    RIGHT_DELIM = "}}"
    COMMENT = "comment"
    SPACE = "space"
    ASSIGN = "="
    DECLARE = ":="
    PIPE = "|"
    STRING = "string"
    RAW_STRING = "raw string"
    CHAR_CONSTANT = "character constant"
    NUMBER = "number"
    COMPLEX = "complex number"
    VARIABLE = "variable"
    FIELD = "field"
    DOT = "."
    IDENTIFIER = "identifier"
    BOOL = "bool"
    NIL = "nil"
    KEYWORD = "keyword"
    LEFT_PAREN = "("
    RIGHT_PAREN = ")"
    CHAR = "character"
    EOF = "EOF"
    ERROR = "error"


_KEYWORDS = frozenset({"block", "break", "continue", "define", "else", "end", "if", "range", "template", "with"})


class _Item(NamedTuple):
    kind: _K
    value: str
    offset: int

    def describe(self) -> str:
        if self.kind is _K.EOF:
            return "end of text"
        if self.kind is _K.KEYWORD:
            return f"{{{{{self.value}}}}}" if self.value in ("end", "else") else f"<{self.value}>"
        if self.kind is _K.SPACE:
            return "space"
        shown = self.value if len(self.value) <= 20 else self.value[:17] + "..."
        return repr(shown)


_SPACES_RE = re.compile(r"[ \t\r\n]+")
_ASCII_WORD_RE = re.compile(r"[A-Za-z0-9_]*")


def _is_space(char: str) -> bool:
    return char != "" and char in " \t\r\n"


def _is_alnum(char: str) -> bool:
    return char == "_" or char.isalpha() or unicodedata.category(char) == "Nd"


class _Lexer:
    """Go's lexer (text/template/parse/lex.go), run to the end or the first error."""

    def __init__(self, text: str):
        self.text = text
        self.items: list[_Item] = []

    def char(self, pos: int) -> str:
        return self.text[pos] if pos < len(self.text) else ""

    def at_right_delim(self, pos: int) -> tuple[bool, bool]:
        text = self.text
        if pos + 1 < len(text) and _is_space(text[pos]) and text[pos + 1] == "-" and text.startswith("}}", pos + 2):
            return True, True
        return text.startswith("}}", pos), False

    def at_terminator(self, pos: int) -> bool:
        char = self.char(pos)
        if char == "" or _is_space(char) or char in tuple(".,|:)("):
            return True
        return self.text.startswith("}}", pos)

    def error(self, message: str, offset: int) -> list[_Item]:
        self.items.append(_Item(_K.ERROR, message, offset))
        return self.items

    def run(self) -> list[_Item]:
        text = self.text
        pos = 0
        while True:
            start = text.find("{{", pos)
            if start < 0:
                if pos < len(text):
                    self.items.append(_Item(_K.TEXT, text[pos:], pos))
                self.items.append(_Item(_K.EOF, "", len(text)))
                return self.items
            if start > pos:
                self.items.append(_Item(_K.TEXT, text[pos:start], pos))
            pos = start + 2
            trim = self.char(pos) == "-" and _is_space(self.char(pos + 1))
            after = pos + 2 if trim else pos
            if text.startswith("/*", after):
                end = text.find("*/", after + 2)
                if end < 0:
                    return self.error("unclosed comment", start)
                pos = end + 2
                delim, trim_right = self.at_right_delim(pos)
                if not delim:
                    return self.error("comment ends before closing delimiter", pos)
                self.items.append(_Item(_K.COMMENT, text[start:pos], start))
                pos += 4 if trim_right else 2
                continue
            self.items.append(_Item(_K.LEFT_DELIM, "{{", start))
            pos = self.action(after, start)
            if pos < 0:
                return self.items

    def action(self, pos: int, start: int) -> int:
        """Items up to and including the action's `}}`; the offset after it, or -1 after an error."""
        text = self.text
        depth = 0
        while True:
            delim, trim = self.at_right_delim(pos)
            if delim:
                if depth == 0:
                    end = pos + (4 if trim else 2)
                    self.items.append(_Item(_K.RIGHT_DELIM, text[pos:end], pos))
                    return end
                self.error("unclosed left parenthesis", pos)
                return -1
            if pos >= len(text):
                self.error("unclosed action", start)
                return -1
            char = text[pos]
            begin = pos
            if _is_space(char):
                match = _SPACES_RE.match(text, pos)
                pos = match.end() if match else pos + 1
                # the space of a trim-marked ` -}}` belongs to the delimiter
                if text.startswith("-}}", pos):
                    pos -= 1
                if pos > begin:
                    self.items.append(_Item(_K.SPACE, text[begin:pos], begin))
                continue
            pos += 1
            if char == "=":
                self.items.append(_Item(_K.ASSIGN, "=", begin))
            elif char == ":":
                if self.char(pos) != "=":
                    self.error("expected :=", begin)
                    return -1
                pos += 1
                self.items.append(_Item(_K.DECLARE, ":=", begin))
            elif char == "|":
                self.items.append(_Item(_K.PIPE, "|", begin))
            elif char == '"' or char == "'":
                pos = self.quoted(begin, char)
                if pos < 0:
                    return -1
            elif char == "`":
                end = text.find("`", pos)
                if end < 0:
                    self.error("unterminated raw quoted string", begin)
                    return -1
                pos = end + 1
                self.items.append(_Item(_K.RAW_STRING, text[begin:pos], begin))
            elif char == "$":
                pos = self.name(begin, pos, _K.VARIABLE)
                if pos < 0:
                    return -1
            elif char == "." and not ("0" <= self.char(pos) <= "9" and self.char(pos) != ""):
                pos = self.name(begin, pos, _K.FIELD)
                if pos < 0:
                    return -1
            elif char in "+-." or "0" <= char <= "9":
                pos = self.number(begin)
                if pos < 0:
                    return -1
            elif _is_alnum(char):
                pos = self.word_end(pos)
                if not self.at_terminator(pos):
                    self.error(f"bad character {text[pos]!r} after {text[begin:pos]!r}", pos)
                    return -1
                word = text[begin:pos]
                kind = _K.IDENTIFIER
                if word in _KEYWORDS:
                    kind = _K.KEYWORD
                elif word in ("true", "false"):
                    kind = _K.BOOL
                elif word == "nil":
                    kind = _K.NIL
                self.items.append(_Item(kind, word, begin))
            elif char == "(":
                depth += 1
                self.items.append(_Item(_K.LEFT_PAREN, "(", begin))
            elif char == ")":
                depth -= 1
                if depth < 0:
                    self.error("unexpected right parenthesis", begin)
                    return -1
                self.items.append(_Item(_K.RIGHT_PAREN, ")", begin))
            elif char.isascii() and char.isprintable():
                self.items.append(_Item(_K.CHAR, char, begin))
            else:
                self.error(f"unrecognized character in action: U+{ord(char):04X}", begin)
                return -1

    def word_end(self, pos: int) -> int:
        """The end of the run of letters, digits and underscores at `pos`."""
        text = self.text
        match = _ASCII_WORD_RE.match(text, pos)
        pos = match.end() if match else pos
        while pos < len(text) and _is_alnum(text[pos]):  # beyond ASCII, Go's letters and digits
            pos = _ASCII_WORD_RE.match(text, pos + 1).end()  # type: ignore[union-attr]
        return pos

    def quoted(self, begin: int, quote: str) -> int:
        text = self.text
        pos = begin + 1
        what = "quoted string" if quote == '"' else "character constant"
        while True:
            char = self.char(pos)
            pos += 1
            if char == "\\":
                char = self.char(pos)
                pos += 1
                if char not in ("", "\n"):
                    continue
            if char in ("", "\n"):
                self.error(f"unterminated {what}", begin)
                return -1
            if char == quote:
                break
        kind = _K.STRING if quote == '"' else _K.CHAR_CONSTANT
        self.items.append(_Item(kind, text[begin:pos], begin))
        return pos

    def name(self, begin: int, pos: int, kind: _K) -> int:
        """A `$variable` or `.Field` (or a bare `$` or `.`); `pos` is past the `$` or `.`."""
        text = self.text
        if self.at_terminator(pos):
            self.items.append(_Item(_K.DOT if kind is _K.FIELD else kind, text[begin:pos], begin))
            return pos
        pos = self.word_end(pos)
        if not self.at_terminator(pos):
            self.error(f"bad character {text[pos]!r} in {text[begin : pos + 1]!r}", pos)
            return -1
        self.items.append(_Item(kind, text[begin:pos], begin))
        return pos

    def number(self, begin: int) -> int:
        pos = self.scan_number(begin)
        if pos < 0:
            end = begin + 1
            while end < len(self.text) and _is_alnum(self.text[end]):
                end += 1
            self.error(f"bad number syntax: {self.text[begin:end]!r}", begin)
            return -1
        if self.char(pos) in ("+", "-") and self.char(pos) != "":
            end = self.scan_number(pos)
            if end < 0 or self.text[end - 1] != "i":
                self.error(f"bad number syntax: {self.text[begin : max(end, pos + 1)]!r}", begin)
                return -1
            self.items.append(_Item(_K.COMPLEX, self.text[begin:end], begin))
            return end
        self.items.append(_Item(_K.NUMBER, self.text[begin:pos], begin))
        return pos

    def scan_number(self, pos: int) -> int:
        text = self.text

        def accept(pos: int, valid: str) -> int:
            return pos + 1 if pos < len(text) and text[pos] in valid else pos

        def accept_run(pos: int, valid: str) -> int:
            while pos < len(text) and text[pos] in valid:
                pos += 1
            return pos

        pos = accept(pos, "+-")
        digits = "0123456789_"
        if pos < len(text) and text[pos] == "0":
            pos += 1
            if (after := accept(pos, "xX")) > pos:
                digits, pos = "0123456789abcdefABCDEF_", after
            elif (after := accept(pos, "oO")) > pos:
                digits, pos = "01234567_", after
            elif (after := accept(pos, "bB")) > pos:
                digits, pos = "01_", after
        pos = accept_run(pos, digits)
        if (after := accept(pos, ".")) > pos:
            pos = accept_run(after, digits)
        if len(digits) == 11 and (after := accept(pos, "eE")) > pos:
            pos = accept_run(accept(after, "+-"), "0123456789_")
        if len(digits) == 23 and (after := accept(pos, "pP")) > pos:
            pos = accept_run(accept(after, "+-"), "0123456789_")
        pos = accept(pos, "i")
        if pos < len(text) and _is_alnum(text[pos]):
            return -1
        return pos


# --- literals ----------------------------------------------------------------------------------------------

_ESCAPE_RE = re.compile(r"\\(?:[abfnrtv\\\"]|[0-7]{3}|x[0-9a-fA-F]{2}|u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8})")
_CHAR_RE = re.compile(r"^'(?:[^'\\]|\\(?:[abfnrtv\\']|[0-7]{3}|x[0-9a-fA-F]{2}|u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8}))'$")


_FLOAT = r"(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?"
_COMPLEX_RE = re.compile(rf"[-+]?{_FLOAT}[-+]{_FLOAT}i")  # what Go's fmt.Sscan reads as a complex


def _bad_escape(quoted: str) -> str | None:
    """The first escape sequence Go's strconv.Unquote refuses in a double-quoted string, or None."""
    index = 1
    while index < len(quoted) - 1:
        if quoted[index] == "\\":
            match = _ESCAPE_RE.match(quoted, index)
            if match is None:
                return quoted[index : index + 2]
            index = match.end()
        else:
            index += 1
    return None


def _valid_number(text: str) -> bool:
    """Whether Go reads `text` as a number: an integer that fits 64 bits, a float, or an imaginary."""
    body = text[:-1] if text.endswith("i") else text
    if re.fullmatch(r"[+-]?0[0-7_]*", body):  # Go's legacy octal, which Python's int() refuses
        body = body.replace("0", "0o", 1) if body.strip("+-0_") else "0"
    try:
        number = int(body, 0)
    except ValueError:
        pass
    else:
        return -(2**63) <= number < 2**64
    if not any(char in body for char in ".eEpP"):
        return False  # Go: "integer overflow" or "illegal number syntax"
    is_hex = body.lstrip("+-")[:2].lower() == "0x"
    try:
        float.fromhex(body.replace("_", "")) if is_hex else float(body)
    except ValueError:
        return False
    return True


# --- parser ------------------------------------------------------------------------------------------------


class _Stop(Exception):
    def __init__(self, message: str, offset: int, length: int, help: str | None = None):
        super().__init__(message)
        self.message = message
        self.offset = offset
        self.length = length
        self.help = help


class _TooDeep(Exception):
    pass


@attrs.define
class _Operand:
    kind: str  # function, value, labels, label, root, string, number, bool, nil, dot, other
    offset: int
    length: int
    name: str = ""
    values: list[list[str]] = attrs.field(factory=list)  # function chains of the $value uses flowing here


@attrs.define
class _Pipe:
    kind: str  # labels, value, root or other: what a variable declared from it holds
    values: list[list[str]]
    labels_tested: set[str]
    declares: bool


@attrs.define
class _ValueRecord:
    offset: int
    length: int
    chain: list[str]
    printed: bool = False
    percent_after: bool = False


class _Parser:
    """Go's parser (text/template/parse/parse.go): the same grammar and errors, gathering facts on the way."""

    def __init__(self, text: str, items: list[_Item], functions: frozenset[str]):
        self.text = text
        # the last item (EOF or an error) repeats, as Go's lexer keeps returning it; every path stops on it
        self.items = items + [items[-1]] * 8
        self.index = 0
        self.functions = functions
        self.queries: list[QueryUse] = []
        self.vars: list[tuple[str, str]] = [("$", "root"), *ALERT_VARIABLES.items()]
        self.range_depth = 0
        self.depth = 0
        self.root_dot = True  # `.` is the alert's data: not inside range/with bodies nor define/block
        self.guarded: set[str] = set()
        self.labels: list[LabelUse] = []
        self.values: list[_ValueRecord] = []
        self.called: set[str] = set()
        self.problems: list[Problem] = []
        self.defined: set[str] = set()
        self.invoked: list[tuple[str, int, int]] = []
        self.blocks: list[tuple[str, int]] = []  # open blocks: keyword and the offset of their `{{`
        self.action_start = 0

    # token stream
    def next(self) -> _Item:
        item = self.items[self.index]
        self.index += 1
        return item

    def peek(self) -> _Item:
        return self.items[self.index]

    def next_non_space(self) -> _Item:
        item = self.next()
        while item.kind is _K.SPACE:
            item = self.next()
        return item

    def peek_non_space(self) -> _Item:
        """The next token that is not a space; like Go's, it consumes the spaces before it."""
        while self.peek().kind is _K.SPACE:
            self.index += 1
        return self.peek()

    def fail(self, message: str, item: _Item, help: str | None = None) -> _Stop:
        if item.kind is _K.ERROR:
            return self.lex_error(item)
        return _Stop(message, item.offset, max(len(item.value), 1), help)

    def lex_error(self, item: _Item) -> _Stop:
        if item.value == "unclosed action":
            return _Stop("`{{` is never closed by `}}`", item.offset, 2, "close the action with `}}`")
        if item.value == "unclosed left parenthesis":
            return _Stop("`(` is never closed by `)` in this action", item.offset, 2)
        return _Stop(item.value, item.offset, 1)

    def unexpected(self, item: _Item, context: str) -> _Stop:
        if item.kind is _K.ERROR:
            return self.lex_error(item)
        return self.fail(f"unexpected {item.describe()} in {context}", item)

    # grammar
    def parse(self) -> None:
        while self.peek().kind is not _K.EOF:
            if self.peek().kind is _K.LEFT_DELIM:
                saved = self.index
                delim = self.next()
                token = self.next_non_space()
                if token.kind is _K.KEYWORD and token.value == "define":
                    self.definition(delim)
                    continue
                self.index = saved
            node = self.text_or_action()
            if node in ("end", "else"):
                item = self.items[self.index - 1]
                what = "`{{ end }}` closes no block" if node == "end" else "`{{ else }}` is outside any block"
                raise _Stop(what, self.action_start, item.offset + len(item.value) - self.action_start)
        for name, offset, length in self.invoked:
            if name not in self.defined:
                self.problems.append(
                    Problem(
                        f"template {name!r} is not defined here; expanding the alert fails",
                        offset,
                        length,
                        fatal=False,
                        help="an annotation can only call templates it defines itself with {{ define }}",
                    )
                )

    def scoped(self) -> tuple[list[tuple[str, str]], bool, set[str], int]:
        return list(self.vars), self.root_dot, set(self.guarded), self.range_depth

    def restore(self, saved: tuple[list[tuple[str, str]], bool, set[str], int]) -> None:
        self.vars, self.root_dot, self.guarded, self.range_depth = saved[0], saved[1], saved[2], saved[3]

    def definition(self, delim: _Item) -> None:
        context = "define clause"
        name = self.next_non_space()
        if name.kind not in (_K.STRING, _K.RAW_STRING):
            raise self.unexpected(name, context)
        self.defined.add(self.unquote(name))
        end = self.next_non_space()
        if end.kind is not _K.RIGHT_DELIM:
            raise self.unexpected(end, context)
        saved = self.scoped()
        self.vars, self.root_dot, self.guarded = [("$", "other")], False, set()
        self.blocks.append(("define", delim.offset))
        node = self.item_list()
        self.blocks.pop()
        if node != "end":
            raise _Stop(f"unexpected {{{{ {node} }}}} in {context}", self.action_start, 4)
        self.restore(saved)

    def item_list(self) -> str:
        """Nodes up to `{{ end }}` or `{{ else }}`; which one ended the list."""
        while self.peek_non_space().kind is not _K.EOF:
            node = self.text_or_action()
            if node in ("end", "else"):
                return node
        keyword, offset = self.blocks[-1]
        raise _Stop(
            f"`{{{{ {keyword} }}}}` is never closed by `{{{{ end }}}}`",
            offset,
            len(keyword) + 3,
            "every if, with, range, define and block needs its {{ end }}",
        )

    def text_or_action(self) -> str:
        token = self.next_non_space()
        if token.kind in (_K.TEXT, _K.COMMENT):
            return ""
        if token.kind is _K.LEFT_DELIM:
            self.action_start = token.offset
            return self.action()
        raise self.unexpected(token, "input")

    def action(self) -> str:
        saved = self.index
        token = self.next_non_space()
        if token.kind is _K.KEYWORD:
            keyword = token.value
            if keyword in ("if", "with", "range"):
                self.control(keyword)
                return ""
            if keyword == "else":
                peek = self.peek_non_space()
                if not (peek.kind is _K.KEYWORD and peek.value in ("if", "with")):
                    self.expect(_K.RIGHT_DELIM, "else")
                return "else"
            if keyword == "end":
                self.expect(_K.RIGHT_DELIM, "end")
                return "end"
            if keyword in ("break", "continue"):
                after = self.next_non_space()
                if after.kind is not _K.RIGHT_DELIM:
                    raise self.unexpected(after, f"{{{{{keyword}}}}}")
                if self.range_depth == 0:
                    raise self.fail(f"{{{{{keyword}}}}} outside {{{{range}}}}", token)
                return ""
            if keyword == "template":
                self.template_call()
                return ""
            if keyword == "block":
                self.block()
                return ""
        self.index = saved
        pipe = self.pipeline("command", _K.RIGHT_DELIM)
        if not pipe.declares:
            end = self.items[self.index - 1]
            percent = re.match(r"[ \t]*%", self.text[end.offset + len(end.value) :]) is not None
            for chain in pipe.values:
                self.mark_printed(chain, percent)
        return ""

    def mark_printed(self, chain: list[str], percent_after: bool) -> None:
        if any(function in _TESTS for function in chain):
            return
        for record in self.values:
            if record.chain is chain:
                record.printed = True
                record.percent_after = percent_after

    def expect(self, kind: _K, context: str) -> _Item:
        token = self.next_non_space()
        if token.kind is not kind:
            raise self.unexpected(token, context)
        return token

    def control(self, keyword: str) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise _TooDeep
        saved = self.scoped()
        start = self.action_start
        self.blocks.append((keyword, start))
        before = len(self.labels)
        pipe = self.pipeline(keyword, _K.RIGHT_DELIM)
        if keyword in ("if", "with"):
            # a label tested by the condition is guarded there and in the body
            self.labels[before:] = [
                attrs.evolve(use, guarded=True) if use.name in pipe.labels_tested else use
                for use in self.labels[before:]
            ]
            self.guarded |= pipe.labels_tested
        outer_root = self.root_dot
        if keyword in ("with", "range"):
            self.root_dot = False
        if keyword == "range":
            self.range_depth += 1
        node = self.item_list()
        if keyword == "range":
            self.range_depth -= 1
        self.root_dot = outer_root
        self.guarded -= pipe.labels_tested - saved[2]
        self.blocks.pop()
        if node == "else":
            peek = self.peek()
            if peek.kind is _K.KEYWORD and (keyword, peek.value) in (("if", "if"), ("with", "with")):
                # `{{ else if x }}` is `{{ else }}{{ if x }}` whose `{{ end }}` also ends this block
                self.next()
                self.control(peek.value)
            else:
                self.blocks.append((keyword, start))
                node = self.item_list()
                self.blocks.pop()
                if node != "end":
                    raise _Stop("a second {{ else }} in one block; expected {{ end }}", self.action_start, 8)
        self.restore(saved)
        self.depth -= 1

    def template_call(self) -> None:
        context = "template clause"
        token = self.next_non_space()
        if token.kind not in (_K.STRING, _K.RAW_STRING):
            raise self.unexpected(token, context)
        self.invoked.append((self.unquote(token), token.offset, len(token.value)))
        if self.next_non_space().kind is not _K.RIGHT_DELIM:
            self.index -= 1
            self.pipeline(context, _K.RIGHT_DELIM)

    def block(self) -> None:
        context = "block clause"
        token = self.next_non_space()
        if token.kind not in (_K.STRING, _K.RAW_STRING):
            raise self.unexpected(token, context)
        self.defined.add(self.unquote(token))
        self.pipeline(context, _K.RIGHT_DELIM)
        saved = self.scoped()
        self.vars, self.root_dot, self.guarded, self.range_depth = [("$", "other")], False, set(), 0
        self.blocks.append(("block", self.action_start))
        node = self.item_list()
        self.blocks.pop()
        if node != "end":
            raise _Stop(f"unexpected {{{{ {node} }}}} in {context}", self.action_start, 4)
        self.restore(saved)

    def pipeline(self, context: str, end: _K) -> _Pipe:
        declared: list[str] = []
        while True:  # declarations: `$x :=`, `$x =`, `$k, $v :=` (range)
            variable = self.peek_non_space()
            if variable.kind is not _K.VARIABLE:
                break
            saved = self.index
            self.next_non_space()
            follow = self.peek_non_space()
            if follow.kind in (_K.ASSIGN, _K.DECLARE):
                self.next_non_space()
                declared.append(variable.value)
                break
            if follow.kind is _K.CHAR and follow.value == ",":
                self.next_non_space()
                declared.append(variable.value)
                if context == "range" and len(declared) < 2:
                    if self.peek_non_space().kind in (_K.VARIABLE, _K.RIGHT_DELIM, _K.RIGHT_PAREN):
                        continue
                    raise self.fail("range can only initialize variables", follow)
                raise self.fail(f"too many declarations in {context}", follow)
            self.index = saved
            break
        for name in declared:
            self.vars.append((name, "other"))
        commands: list[list[_Operand]] = []
        piped: list[list[str]] = []
        tested: set[str] = set()
        while True:
            token = self.next_non_space()
            if token.kind is end:
                break
            if token.kind in (
                _K.BOOL,
                _K.CHAR_CONSTANT,
                _K.COMPLEX,
                _K.DOT,
                _K.FIELD,
                _K.IDENTIFIER,
                _K.NUMBER,
                _K.NIL,
                _K.RAW_STRING,
                _K.STRING,
                _K.VARIABLE,
                _K.LEFT_PAREN,
            ):
                self.index -= 1
                operands = self.command()
                commands.append(operands)
                piped = self.flow(operands, piped, first=len(commands) == 1)
                for operand in operands:
                    if operand.kind == "label":
                        tested.add(operand.name)
                label = self.indexed_label(operands)
                if label is not None:
                    tested.add(label)
                if len(commands) > 1000:
                    raise self.fail("pipeline too long", token)
                continue
            raise self.unexpected(token, context)
        if not commands:
            raise _Stop(f"missing value for {context}", self.items[self.index - 1].offset, 2)
        for stage, operands in enumerate(commands[1:], start=2):
            if operands[0].kind in ("bool", "dot", "nil", "number", "string"):
                raise _Stop(
                    f"non executable command in pipeline stage {stage}: after `|` comes a function",
                    operands[0].offset,
                    operands[0].length,
                )
        kind = "other"
        if len(commands) == 1 and len(commands[0]) == 1 and commands[0][0].kind in ("labels", "value", "root"):
            kind = commands[0][0].kind
        if declared and context != "range":
            self.vars[-1] = (declared[-1], kind)
        return _Pipe(kind, piped, tested, bool(declared))

    def flow(self, operands: list[_Operand], piped: list[list[str]], first: bool) -> list[list[str]]:
        """The value chains a command passes on: its function's result carries every value it received."""
        head = operands[0]
        if head.kind == "function":
            received = [chain for operand in operands[1:] for chain in operand.values]
            if not first:
                received += piped
            for chain in received:
                chain.append(head.name)
            return received
        if len(operands) == 1:
            return head.values
        return []

    def command(self) -> list[_Operand]:
        operands: list[_Operand] = []
        while True:
            self.peek_non_space()
            operand = self.operand()
            if operand is not None:
                operands.append(operand)
            token = self.next()
            if token.kind is _K.SPACE:
                continue
            if token.kind in (_K.RIGHT_DELIM, _K.RIGHT_PAREN):
                self.index -= 1
            elif token.kind is not _K.PIPE:
                raise self.unexpected(token, "operand")
            break
        if not operands:
            raise self.fail("empty command", self.peek())
        runs_query = len(operands) >= 2 and (operands[0].kind, operands[0].name) == ("function", "query")
        if runs_query and operands[1].kind == "string":
            self.queries.append(QueryUse(operands[1].name, operands[1].offset, operands[1].length))
        label = self.indexed_label(operands)
        if label is not None:
            head, key = operands[0], operands[2]
            self.label_use(label, head.offset, key.offset + key.length - head.offset)
        return operands

    @staticmethod
    def indexed_label(operands: list[_Operand]) -> str | None:
        """The label `index $labels "name"` reads."""
        if len(operands) != 3 or (operands[0].kind, operands[0].name) != ("function", "index"):
            return None
        return operands[2].name if (operands[1].kind, operands[2].kind) == ("labels", "string") else None

    def label_use(self, name: str, offset: int, length: int) -> None:
        self.labels.append(LabelUse(name, offset, length, name in self.guarded))

    def operand(self) -> _Operand | None:
        node = self.term()
        if node is None:
            return None
        fields: list[_Item] = []
        while self.peek().kind is _K.FIELD:
            fields.append(self.next())
        if not fields:
            return node
        if node.kind in ("bool", "string", "number", "nil", "dot"):
            raise _Stop(
                f"unexpected . after term {self.text[node.offset : node.offset + node.length]!r}", fields[0].offset, 1
            )
        return self.access(node, [field.value[1:] for field in fields], fields[-1])

    def access(self, node: _Operand, names: list[str], last: _Item) -> _Operand:
        """What `node.a.b` reads: a label of `$labels`, a field of the alert data, or something unknown."""
        length = last.offset + len(last.value) - node.offset
        kind = node.kind
        if kind == "root":
            first = names[0]
            if first not in ALERT_FIELDS:
                hint = nearest(first, ALERT_FIELDS)
                self.problems.append(
                    Problem(
                        f"the alert data has no field {first!r}; expanding the alert fails",
                        node.offset,
                        length,
                        fatal=False,
                        help=f"did you mean .{hint}?" if hint else "the fields are .Labels, .Value, .ExternalLabels",
                    )
                )
                return _Operand("other", node.offset, length)
            inner = _Operand(ALERT_FIELDS[first], node.offset, length)
            if inner.kind == "value":
                self.record_value(inner)
            names = names[1:]
            if not names:
                return inner
            kind = inner.kind
        if kind == "labels":
            self.label_use(names[0], node.offset, length)
            return _Operand("label", node.offset, length, names[0])
        if kind == "value":
            self.problems.append(
                Problem(
                    "the alert's value is a number and has no fields; expanding the alert fails",
                    node.offset,
                    length,
                    fatal=False,
                )
            )
        return _Operand("other", node.offset, length)

    def record_value(self, operand: _Operand) -> None:
        chain: list[str] = []
        self.values.append(_ValueRecord(operand.offset, operand.length, chain))
        operand.values = [chain]

    def term(self) -> _Operand | None:
        token = self.next_non_space()
        kind = token.kind
        if kind is _K.IDENTIFIER:
            if token.value not in self.functions:
                hint = nearest(token.value, self.functions)
                raise _Stop(
                    f"unknown template function {token.value!r}" + (f"; did you mean {hint!r}?" if hint else ""),
                    token.offset,
                    len(token.value),
                    "Prometheus offers Go's builtins and its own: humanize, humanizeDuration, "
                    "humanizePercentage, printf, reReplaceAll, toUpper, ...",
                )
            self.called.add(token.value)
            return _Operand("function", token.offset, len(token.value), token.value)
        if kind is _K.DOT:
            return _Operand("root" if self.root_dot else "dot", token.offset, 1)
        if kind is _K.NIL:
            return _Operand("nil", token.offset, 3)
        if kind is _K.VARIABLE:
            return self.variable(token)
        if kind is _K.FIELD:
            if self.root_dot:
                root = _Operand("root", token.offset, 0)
                last = token
                names = [token.value[1:]]
                while self.peek().kind is _K.FIELD:
                    last = self.next()
                    names.append(last.value[1:])
                return self.access(root, names, last)
            return _Operand("other", token.offset, len(token.value))
        if kind is _K.BOOL:
            return _Operand("bool", token.offset, len(token.value))
        if kind in (_K.CHAR_CONSTANT, _K.COMPLEX, _K.NUMBER):
            if kind is _K.CHAR_CONSTANT:
                valid = _CHAR_RE.match(token.value) is not None
            else:
                complex_ok = _COMPLEX_RE.fullmatch(token.value) is not None
                valid = complex_ok if kind is _K.COMPLEX else _valid_number(token.value)
            if not valid:
                raise self.fail(f"illegal number syntax: {token.value!r}", token)
            return _Operand("number", token.offset, len(token.value))
        if kind is _K.LEFT_PAREN:
            self.depth += 1
            if self.depth > MAX_DEPTH:
                raise _TooDeep
            pipe = self.pipeline("parenthesized pipeline", _K.RIGHT_PAREN)
            self.depth -= 1
            end = self.items[self.index - 1]
            operand = _Operand(
                pipe.kind if pipe.kind != "value" else "other", token.offset, end.offset + 1 - token.offset
            )
            operand.values = pipe.values
            return operand
        if kind in (_K.STRING, _K.RAW_STRING):
            return _Operand("string", token.offset, len(token.value), self.unquote(token))
        if kind is _K.ERROR:
            raise self.lex_error(token)
        self.index -= 1  # like Go's backup: the spaces before the token stay consumed
        return None

    def variable(self, token: _Item) -> _Operand:
        name = token.value
        binding = next((kind for declared, kind in reversed(self.vars) if declared == name), None)
        if binding is None:
            known = [declared for declared, _ in self.vars if declared != "$"]
            hint = nearest(name, known)
            raise _Stop(
                f"undefined template variable {name!r}" + (f"; did you mean {hint!r}?" if hint else ""),
                token.offset,
                len(name),
                "alert templates know $labels, $value, $externalLabels and $externalURL",
            )
        operand = _Operand(binding, token.offset, len(name), name)
        if binding == "value":
            self.record_value(operand)
        return operand

    def unquote(self, token: _Item) -> str:
        if token.kind is _K.RAW_STRING:
            return token.value[1:-1]
        bad = _bad_escape(token.value)
        if bad is not None:
            raise _Stop(
                f"invalid escape {bad!r} in the string {token.value}",
                token.offset,
                len(token.value),
                'Go strings know \\n, \\t, \\\\, \\" and a few more: write \\\\ for a backslash, or use a `raw string`',
            )
        return token.value[1:-1]


# --- text outside actions ----------------------------------------------------------------------------------

_STRAY_VARIABLE_RE = re.compile(r"(?<![\w$])\$(labels|value|externalLabels)\b(\.\w+)?")


def _text_problems(item: _Item) -> list[Problem]:
    problems: list[Problem] = []
    text = item.value
    if "}}" not in text and "$" not in text:
        return problems
    for match in re.finditer(r"\}\}", text):
        problems.append(
            Problem(
                "`}}` without an opening `{{` is printed as it is",
                item.offset + match.start(),
                2,
                fatal=False,
                help="is a `{{` missing, or one `{` too few?",
            )
        )
        return problems  # `{ $labels.x }}`: one mistake, reported once
    for match in _STRAY_VARIABLE_RE.finditer(text):
        problems.append(
            Problem(
                f"{match.group(0)!r} outside `{{{{ }}}}` is printed as it is, not replaced",
                item.offset + match.start(),
                len(match.group(0)),
                fatal=False,
                help=f"write {{{{ {match.group(0)} }}}}",
            )
        )
        break
    return problems


# The actions nearly every alert template is made of, parsed without the general machinery (twenty thousand
# alerts have a hundred thousand templates): `{{ $labels.x }}`, `{{ $labels }}`, `{{ $value }}`,
# `{{ $value | humanize }}`, `{{ humanize $value }}`, `{{ printf "%.2f" $value }}` and
# `{{ $value | printf "%.2f" }}`, with or without trim markers. Anything else goes to the parser.
_SIMPLE_FUNCTIONS = (
    "(?:humanize|humanize1024|humanizeDuration|humanizePercentage|humanizeTimestamp|toUpper|toLower|title|printf)"
)
_SIMPLE_ACTION_RE = re.compile(
    r"\{\{(?:-[ \t\r\n])?[ \t\r\n]*(?:"
    r"(?P<labels>\$labels)(?:\.(?P<label>[A-Za-z_][A-Za-z0-9_]*))?"
    r"|(?P<value>\$value)(?:[ \t]*\|[ \t]*(?P<piped>" + _SIMPLE_FUNCTIONS + r")(?:[ \t]+\"[^\"\\\n]*\")?)?"
    r"|(?P<call>" + _SIMPLE_FUNCTIONS + r")(?:[ \t]+\"[^\"\\\n]*\")?[ \t]+(?P<argument>\$value)"
    r")(?:[ \t\r\n]+-\}\}|[ \t\r\n]*\}\})"
)


def _parse_simple(text: str) -> Template | None:
    """The template when it holds only simple actions, else None."""
    labels: list[LabelUse] = []
    values: list[ValueUse] = []
    called: set[str] = set()
    pieces: list[_Item] = []
    pos = 0
    while (start := text.find("{{", pos)) >= 0:
        match = _SIMPLE_ACTION_RE.match(text, start)
        if match is None:
            return None
        if match.group("piped") == "printf" and '"' not in match.group(0):
            return None  # `$value | printf` without a format
        if match.group("call") == "printf" and '"' not in match.group(0):
            return None
        if start > pos:
            pieces.append(_Item(_K.TEXT, text[pos:start], pos))
        end = match.end()
        percent = re.match(r"[ \t]*%", text[end:]) is not None
        if match.group("label"):
            offset = match.start("labels")
            labels.append(LabelUse(match.group("label"), offset, match.end("label") - offset, False))
        elif match.group("value"):
            function = match.group("piped")
            chain = (function,) if function else ()
            called.update(chain)
            values.append(ValueUse(match.start("value"), 6, chain, True, percent))
        elif match.group("call"):
            called.add(match.group("call"))
            values.append(ValueUse(match.start("argument"), 6, (match.group("call"),), True, percent))
        pos = end
    if pos < len(text):
        pieces.append(_Item(_K.TEXT, text[pos:], pos))
    problems = [problem for piece in pieces for problem in _text_problems(piece)]
    literal = "\n".join(piece.value for piece in pieces)
    return Template(text, tuple(problems), tuple(labels), tuple(values), frozenset(called), literal, pos > 0)


def parse_template(text: str, functions: frozenset[str] = FUNCTIONS) -> Template:
    """Parse one annotation or label value as Prometheus does; never raises."""
    if "{{" not in text and "$" not in text and "}}" not in text:
        return Template(text, (), literal=text)
    if functions is FUNCTIONS:
        simple = _parse_simple(text)
        if simple is not None:
            return simple
    return _parse_full(text, functions)


def _parse_full(text: str, functions: frozenset[str] = FUNCTIONS) -> Template:
    items = _Lexer(text).run()
    literal = "\n".join(item.value for item in items if item.kind is _K.TEXT)
    parser = _Parser(text, items, functions)
    problems: list[Problem] = []
    for item in items:
        if item.kind is _K.TEXT:
            problems += _text_problems(item)
    try:
        parser.parse()
    except _Stop as stop:
        fatal = Problem(stop.message, stop.offset, max(stop.length, 1), fatal=True, help=stop.help)
        return Template(text, (fatal, *problems), literal=literal, has_actions=True)
    except (_TooDeep, RecursionError):
        return Template(text, tuple(problems), literal=literal, has_actions=True)
    values = tuple(ValueUse(r.offset, r.length, tuple(r.chain), r.printed, r.percent_after) for r in parser.values)
    return Template(
        text,
        tuple(problems + parser.problems),
        tuple(parser.labels),
        values,
        frozenset(parser.called),
        literal,
        any(item.kind is _K.LEFT_DELIM for item in items),
        tuple(parser.queries),
    )
