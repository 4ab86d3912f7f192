"""The E0xx codes: problems met outside the check run, by the loader, the importers, the writer, the rule-test
runner, `up` and the command line. Each is declared here once, with its name and severity; those stages build
their diagnostics from it (`codes.SPEC_FAILED(message, location, help=...)`), and the check catalog documents it
(`checks/spec_errors.py` and the family modules) without typing the name again.

A leaf module: it imports only `diagnostics.py`, so every stage of the pipeline may import it.
"""

from __future__ import annotations

from monitoring_dsl.diagnostics import Code, Severity

SPEC_FAILED = Code("E001", "spec-failed", Severity.ERROR)
INVALID_DECLARATION = Code("E002", "invalid-declaration", Severity.ERROR)
SPEC_NOT_UTF8 = Code("E003", "spec-not-utf8", Severity.ERROR)
SPECS_PATH_INVALID = Code("E004", "specs-path-invalid", Severity.ERROR)
SPEC_MODULE_NAME = Code("E005", "spec-module-name", Severity.ERROR)
OUTPUT_NOT_WRITABLE = Code("E006", "output-not-writable", Severity.ERROR)
CONFIG_INVALID = Code("E007", "config-invalid", Severity.ERROR)
INPUT_UNREADABLE = Code("E008", "input-unreadable", Severity.ERROR)
INPUT_NOT_RECOGNISED = Code("E009", "input-not-recognised", Severity.ERROR)
UNUSED_SUPPRESSION = Code("E010", "unused-suppression", Severity.WARNING)
OUTPUT_PATH_COLLISION = Code("E011", "output-path-collision", Severity.ERROR)
TEXT_NOT_UNICODE = Code("E012", "text-not-unicode", Severity.ERROR)
INPUT_TOO_LARGE = Code("E013", "input-too-large", Severity.ERROR)
RULE_TEST_FAILED = Code("E025", "rule-test-failed", Severity.ERROR)
PROMTOOL_NOT_FOUND = Code("E026", "promtool-not-found", Severity.ERROR)
UP_NO_STACK = Code("E030", "up-no-stack", Severity.ERROR)
UP_BINARY_MISSING = Code("E031", "up-binary-missing", Severity.ERROR)
UP_NOT_READY = Code("E032", "up-not-ready", Severity.ERROR)
UP_RULES_NOT_LOADED = Code("E033", "up-rules-not-loaded", Severity.ERROR)
UP_RUN_DIR_BUSY = Code("E034", "up-run-dir-busy", Severity.ERROR)
INTERNAL_ERROR = Code("E045", "internal-error", Severity.ERROR)
RULE_FILE_UNKNOWN_KEY = Code("E046", "rule-file-unknown-key", Severity.ERROR)
RULE_FILE_DUPLICATE_KEY = Code("E047", "rule-file-duplicate-key", Severity.ERROR)
RULE_FILE_KEY_ON_WRONG_RULE = Code("E048", "rule-file-key-on-wrong-rule", Severity.ERROR)
DIFF_SIDE_UNUSABLE = Code("E055", "diff-side-unusable", Severity.ERROR)
IMPORT_WOULD_OVERWRITE = Code("E056", "import-would-overwrite", Severity.ERROR)
PREVIEW_PROMETHEUS_UNREACHABLE = Code("E057", "preview-prometheus-unreachable", Severity.ERROR)

# Every code above, by code in code order (`up` reports its failures by code; the catalog's meta-tests read it).
PIPELINE: dict[str, Code] = {
    code.code: code
    for code in sorted((value for value in dict(globals()).values() if isinstance(value, Code)), key=lambda c: c.code)
}
