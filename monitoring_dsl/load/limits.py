"""What was loaded can be built: E012 for text no UTF-8 file can carry, E013 for dashboards past the bounds
that keep Grafana, the layout and the checks fast. Both run on the loaded Project, before any check."""

from __future__ import annotations

import functools
import re
from collections.abc import Collection

import attrs

from monitoring_dsl import codes
from monitoring_dsl.diagnostics import Diagnostic
from monitoring_dsl.model.project import Project

_SURROGATE = re.compile("[\ud800-\udfff]")


def unencodable_text(project: Project, modules: Collection[str] | None = None) -> list[Diagnostic]:
    """E012: strings holding a lone surrogate (`"\\ud800"`), which no UTF-8 file can carry.

    One diagnostic per object and field, at the innermost declared object that holds the string. With
    `modules`, only what those modules declared is walked: the others are known to hold none (checks/kept.py
    finds them in the bytes it pickles anyway, where walking every string of workload L took 0.3 s).
    """
    found: list[Diagnostic] = []
    seen: set[int] = set()
    reported: set[tuple[int, str]] = set()

    def text(value: str, owner: object, field: str) -> None:
        match = _SURROGATE.search(value)
        if match is not None and (id(owner), field) not in reported:
            reported.add((id(owner), field))
            found.append(_surrogate(owner, field, value, match.start()))

    for declared in project.declared:
        if modules is not None and declared.module not in modules:
            continue
        stack: list[tuple[object, object, str]] = [(declared.obj, declared.obj, "")]
        while stack:
            value, owner, field = stack.pop()
            kind = type(value)
            if kind is str:
                if not value.isascii():  # type: ignore[attr-defined]
                    text(value, owner, field)  # type: ignore[arg-type]
                continue
            if kind in _LEAVES or id(value) in seen:
                continue
            if attrs.has(kind):
                seen.add(id(value))
                holder = value if getattr(value, "location", None) is not None else owner
                for name in _field_names(kind):
                    item = getattr(value, name)
                    if type(item) is str:  # most fields: checked here rather than pushed and popped
                        if not item.isascii():
                            text(item, holder, name)
                    elif type(item) not in _LEAVES:
                        stack.append((item, holder, name))
            elif isinstance(value, str):  # a subclass of str
                if not value.isascii():
                    text(value, owner, field)
            elif isinstance(value, (list, tuple, frozenset, set)):
                stack.extend((item, owner, field) for item in value)
            elif isinstance(value, dict):
                stack.extend((item, owner, field) for pair in value.items() for item in pair)
    return found


_LEAVES = frozenset({int, float, bool, type(None)})


# Bounds far above any real dashboard (the realworld corpus peaks at a few hundred panels and titles of a
# few dozen characters) and below what makes Grafana, or the layout and checks, crawl.
MAX_PANELS = 1000
MAX_TITLE = 1000


def oversized(project: Project) -> list[Diagnostic]:
    """E013: a dashboard with more panels, or a title longer, than the bounds above."""
    found = []
    for dashboard in project.dashboards:
        panels = dashboard.all_panels()
        if len(panels) > MAX_PANELS:
            found.append(
                _too_large(
                    dashboard,
                    f"dashboard {_short(dashboard.title)} has {len(panels)} panels; the limit is {MAX_PANELS}",
                    "split it into several dashboards linked to each other (Link.dashboard)",
                )
            )
        titled: list[object] = [dashboard, *dashboard.rows, *panels]
        for item in titled:
            title = getattr(item, "title", "")
            if isinstance(title, str) and len(title) > MAX_TITLE:
                found.append(
                    _too_large(
                        item,
                        f"{type(item).__name__} title {_short(title)} is {len(title)} characters long; the limit "
                        f"is {MAX_TITLE}",
                        "shorten the title; put the details in description=",
                    )
                )
    return found


def _short(title: str) -> str:
    return repr(title if len(title) <= 40 else title[:37] + "...")


def _too_large(owner: object, message: str, help: str) -> Diagnostic:
    return codes.INPUT_TOO_LARGE(message, getattr(owner, "location", None), help=help)


@functools.cache
def _field_names(kind: type) -> tuple[str, ...]:
    return tuple(a.name for a in attrs.fields(kind) if a.name not in ("location", "imported", "marks"))


def _escaped(text: str) -> str:
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


def _surrogate(owner: object, field: str, value: str, index: int) -> Diagnostic:
    shown = _escaped(value[max(0, index - 20) : index + 20])
    return codes.TEXT_NOT_UNICODE(
        f"{field or type(owner).__name__} holds a lone surrogate ({_escaped(value[index])}), which cannot be "
        f"written as UTF-8: ...{shown}...",
        getattr(owner, "location", None),
        help="write the character itself or its \\U0001F600 escape: Python does not join \\ud83d\\ude00 halves",
    )
