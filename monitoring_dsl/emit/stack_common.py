"""What the stack emitters share: where a spec object was declared, as a stable `specs/x.py:12` string."""

from __future__ import annotations

from pathlib import PurePath

from monitoring_dsl.model.project import Project


def spec_line(project: Project, obj: object) -> str:
    """`specs/stack.py:12` for `obj`: its module's path relative to the project root (never the working
    directory, so the bytes do not depend on where the build ran) and its line."""
    location = getattr(obj, "location", None)
    if location is None:
        return "monitoring-dsl default"
    stem = PurePath(location.path).stem
    source = next((m.source for m in project.modules if m.name == stem), PurePath(location.path).name)
    return f"{source}:{location.line}"


def stack_sources(project: Project, objects: list[object]) -> str:
    """The spec modules that declared `objects`, for a generated file's header; all modules when none did."""
    modules: list[str] = []
    for obj in objects:
        try:
            module = project.module_of(obj)
        except KeyError:
            continue
        if module not in modules:
            modules.append(module)
    sources = {m.name: m.source for m in project.modules}
    chosen = [sources[m] for m in modules if m in sources] or [m.source for m in project.modules]
    return ", ".join(chosen)
