"""The public corpus of real-world rule files, dashboards and rule tests, collected only by `make test-corpus`.

The corpus is not part of this repository: `MONITORING_DSL_CORPUS` names its directory (default
`../shared/realworld` beside the checkout). `make test` never collects these tests (see `pytest_ignore_collect`
in tests/conftest.py); asked for and missing, the corpus is one clear failure, never a skip.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.conftest import REPO

ENV = "MONITORING_DSL_CORPUS"


def corpus_dir() -> Path:
    """The corpus directory, resolved so that symlinked checkouts and corpora compare equal."""
    return Path(os.environ.get(ENV) or REPO.parent / "shared" / "realworld").resolve()


@pytest.fixture(scope="session")
def realworld() -> Path:
    directory = corpus_dir()
    if not (directory / "manifest.json").is_file():
        pytest.fail(f"no real-world corpus at {directory} (set {ENV} to its directory)", pytrace=False)
    return directory
