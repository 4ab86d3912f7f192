"""E0xx: problems that stop the pipeline before any check can run, emitted by the loader, config and writer.

They are documented here so that `monitoring-dsl checks` and the docs list every code a user can meet.
"""

from __future__ import annotations

from monitoring_dsl import codes
from monitoring_dsl.checks.registry import document

document(
    codes.SPEC_FAILED,
    """
    A spec module could not be imported: a Python syntax error, or an exception while it ran.

    ## Why is this bad?
    Nothing the module declares can be checked or built, and modules that import it fail too.

    ## Example
        requests = Counter("http_requests_total", "Requests", labels=[method])   # NameError: method

    ## Use instead
        requests = Counter("http_requests_total", "Requests", labels=["method"])

    The message names the exception and the spec line that raised it; `--debug` prints the traceback.
    """,
    __name__,
)

document(
    codes.INVALID_DECLARATION,
    """
    A spec object was built with a wrong type, an unknown keyword or a missing argument.

    ## Why is this bad?
    The object cannot mean anything: `buckets="fast"` is not a list of bucket bounds, `lables=` is a typo
    that would otherwise silently drop the labels.

    ## Example
        Histogram("http_request_duration_seconds", "Latency", lables=["endpoint"], buckets="fast")

    ## Use instead
        Histogram("http_request_duration_seconds", "Latency", labels=["endpoint"], buckets=[0.1, 0.5, 1])

    The message names the field, what was expected and what was given, and the nearest valid keyword.
    """,
    __name__,
)

document(
    codes.SPEC_NOT_UTF8,
    """
    A spec file is not valid UTF-8.

    ## Why is this bad?
    Python reads source as UTF-8; a file saved in another encoding cannot be imported reliably.

    ## Example
    A spec saved as Latin-1 with `help="Größe"`.

    ## Use instead
    Save the file as UTF-8. The diagnostic points at the first byte that is not UTF-8.
    """,
    __name__,
)

document(
    codes.SPECS_PATH_INVALID,
    """
    A specs path does not exist, or is neither a directory nor a `.py` file.

    The path comes from the command line or from `[tool.monitoring-dsl] specs`.

    ## Why is this bad?
    Building nothing silently would leave `build/` stale while reporting success.

    ## Example
        monitoring-dsl build spec/

    ## Use instead
        monitoring-dsl build specs/
    """,
    __name__,
)

document(
    codes.SPEC_MODULE_NAME,
    """
    Two spec files share a module name, or a spec file's name is taken by an installed module.

    ## Why is this bad?
    Spec modules import each other by file name (`from catalog import requests`), so a name must say which
    file it means. A spec named `json.py` would hide the standard library's `json` module.

    ## Example
        specs/api/catalog.py and specs/db/catalog.py, built together

    ## Use instead
    Rename one of them, e.g. `api_catalog.py`.
    """,
    __name__,
)

document(
    codes.OUTPUT_NOT_WRITABLE,
    """
    The output directory cannot be written, holds entries it did not write, or another build holds it.

    ## Why is this bad?
    The writer makes the output directory hold exactly the generated files, removing the ones no spec
    produces any more. It refuses a directory with anything it does not own (files, symlinks, FIFOs, empty
    directories) so that `--out .` can never delete your work, reports a directory it cannot create or write,
    and gives up after waiting 60 s for another build of the same directory to finish.

    ## Example
        monitoring-dsl build --out src/

    ## Use instead
    Build into a directory of its own, such as the default `build/`.
    """,
    __name__,
)

document(
    codes.CONFIG_INVALID,
    """
    `[tool.monitoring-dsl]` in `pyproject.toml` has an unknown key or a value of the wrong type.

    ## Why is this bad?
    A misspelt key is otherwise ignored, and the build quietly uses defaults you did not choose.

    ## Example
        [tool.monitoring-dsl]
        spec = ["specs"]

    ## Use instead
        [tool.monitoring-dsl]
        specs = ["specs"]
    """,
    __name__,
)

document(
    codes.INPUT_UNREADABLE,
    """
    A file given to `lint` cannot be read: not UTF-8, binary, empty, too large, or broken YAML or JSON.

    ## Why is this bad?
    Nothing in it can be checked, and the tools that load it (Prometheus, Grafana) would refuse it too.

    ## Example
        monitoring-dsl lint rules/broken.yml      # a tab in the indentation

    ## Use instead
    Fix the file at the line the message names; `promtool check rules` gives the same verdict for rules.
    """,
    __name__,
)

document(
    codes.INPUT_NOT_RECOGNISED,
    """
    A YAML or JSON file that is neither a Prometheus rule file nor a Grafana dashboard.

    So is a rule in a rule file that is neither an alerting nor a recording rule.

    ## Why is this bad?
    `lint` reads rule files (`groups:`) and dashboard JSON (`panels` or `rows`); anything else would be
    silently skipped.

    ## Example
        monitoring-dsl lint alertmanager.yml

    ## Use instead
    Pass rule files, dashboards and spec directories only.
    """,
    __name__,
)

document(
    codes.UNUSED_SUPPRESSION,
    """
    An `allow={"CODE": "reason"}` that suppresses nothing, or names a code that does not exist.

    ## Why is this bad?
    Stale exceptions hide the next real finding of that code on the object, and they mislead readers about
    what is wrong with it.

    ## Example
        Alert("Down", "up == 0", for_="5m", severity="critical", summary="s", allow={"A302": "legacy"})

    ## Use instead
        Alert("Down", "up == 0", for_="5m", severity="critical", summary="s")
    """,
    __name__,
)

document(
    codes.OUTPUT_PATH_COLLISION,
    """
    Two declarations would be written to the same output file, such as two dashboards with one uid.

    ## Why is this bad?
    One file would silently replace the other, so a dashboard would vanish from Grafana without a word. This
    holds even when the duplicate uid itself is allowed (`allow={"D501": ...}`): the build stops instead.

    ## Example
        Dashboard("API", uid="api", allow={"D501": "migrating"}, ...)
        Dashboard("API v2", uid="api", allow={"D501": "migrating"}, ...)

    ## Use instead
        Dashboard("API", uid="api", ...)
        Dashboard("API v2", uid="api-v2", ...)
    """,
    __name__,
)

document(
    codes.TEXT_NOT_UNICODE,
    """
    A string in a spec holds a lone surrogate (`"\\ud800"`), which no UTF-8 file can carry.

    ## Why is this bad?
    Dashboards and rule files are UTF-8; the build could not write the text, and Grafana or Prometheus
    would show a replacement character at best. It is usually an emoji escaped as two UTF-16 halves, which
    Python, unlike JSON, does not join.

    ## Example
        TimeSeries("Latency \\ud83d\\ude00", "...")

    ## Use instead
        TimeSeries("Latency \\U0001F600", "...")   # or the character itself
    """,
    __name__,
)

document(
    codes.INPUT_TOO_LARGE,
    """
    A dashboard with more than 1,000 panels, or a dashboard, row or panel title over 1,000 characters.

    ## Why is this bad?
    Grafana renders such a dashboard slowly or not at all, and nobody reads it; usually a loop in a spec ran
    further than meant. The bound keeps the build fast whatever a spec generates.

    ## Example
        Dashboard("Hosts", panels=[TimeSeries(host, query_for(host)) for host in all_hosts])   # 5,000 hosts

    ## Use instead
        Dashboard("Hosts", variables=[Variable.query("host", "label_values(up, instance)")],
                  panels=[TimeSeries("$host", 'up{instance="$host"}')])
    """,
    __name__,
)

document(
    codes.RULE_FILE_UNKNOWN_KEY,
    """
    A rule file has a key that the target Prometheus does not know, in the file, a group or a rule.

    Prometheus reads rule files with YAML "known fields": `expresion:` or `labes:` is not ignored, it fails the
    whole file. Keys that later releases added (`query_offset` on a group, 2.53; `labels` on a group, 3.0)
    count as unknown when `prometheus_version` is older.

    ## Why is this bad?
    Prometheus refuses to load the file, so every alert and record in it is lost, not only the misspelt one.

    ## Example
        groups:
          - name: api
            rules:
              - alert: Down
                expr: up == 0
                fro: 5m

    ## Use instead
        groups:
          - name: api
            rules:
              - alert: Down
                expr: up == 0
                for: 5m
    """,
    __name__,
)

document(
    codes.RULE_FILE_DUPLICATE_KEY,
    """
    A rule file gives the same key twice in one mapping.

    ## Why is this bad?
    Prometheus's YAML reader refuses the file ("mapping key already defined"); other readers silently keep
    one of the two values, so what a reviewer sees is not what runs.

    ## Example
        - alert: Down
          expr: up == 0
          expr: up{job="api"} == 0

    ## Use instead
        - alert: Down
          expr: up{job="api"} == 0
    """,
    __name__,
)

document(
    codes.RULE_FILE_KEY_ON_WRONG_RULE,
    """
    A recording rule has `for`, `keep_firing_for` or `annotations`, which only alerting rules take.

    ## Why is this bad?
    Prometheus refuses to load the file ("invalid field 'for' in recording rule"), so every rule in it is lost.

    ## Example
        - record: job:up:sum
          expr: sum by (job) (up)
          for: 5m

    ## Use instead
        - record: job:up:sum
          expr: sum by (job) (up)
    """,
    __name__,
)

document(
    codes.DIFF_SIDE_UNUSABLE,
    """
    A side of `monitoring-dsl diff` is neither an output directory nor a git revision whose specs build.

    ## Why is this bad?
    A change list needs both sides built: a revision that does not exist, or whose specs have errors, has no
    output to compare. The build's own errors are printed above this one.

    ## Example
        monitoring-dsl diff mian HEAD

    ## Use instead
        monitoring-dsl diff main HEAD
    """,
    __name__,
)

document(
    codes.IMPORT_WOULD_OVERWRITE,
    """
    `monitoring-dsl import` would replace spec modules that already exist in the output directory.

    ## Why is this bad?
    An import names each module after its file; a second import of a file of the same name, or an existing
    `catalog.py`, would silently lose hand-written specs. Nothing is written.

    ## Example
        monitoring-dsl import dashboards/ --out specs/      # specs/catalog.py exists

    ## Use instead
        monitoring-dsl import dashboards/ --out imported/   # or --force to replace them
    """,
    __name__,
)

document(
    codes.PREVIEW_PROMETHEUS_UNREACHABLE,
    """
    `monitoring-dsl preview --prometheus URL` could not reach Prometheus at URL.

    ## Why is this bad?
    The pages were asked to show live data; drawn without it they would look like dashboards with no data.
    Nothing is written.

    ## Example
        monitoring-dsl preview --prometheus http://127.0.0.1:9091    # nothing listens there

    ## Use instead
        monitoring-dsl preview --prometheus http://127.0.0.1:9090    # or without --prometheus
    """,
    __name__,
)
