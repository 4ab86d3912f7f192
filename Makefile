# monitoring-dsl: `make dashboards` builds specs/ into build/, `make test` runs the whole test suite.
# Both set up .venv on a new machine; `make test` also installs promtool/amtool from Debian when missing.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.DEFAULT_GOAL := help
.PHONY: help venv dashboards check test test-corpus tools lint fmt bench bench-scaling bench-middleware docs oracle clean

# The public corpus of real-world rules and dashboards; not part of this repository (make test-corpus only).
MONITORING_DSL_CORPUS ?= ../shared/realworld
# pytest exits 5 when it collected no test: a run that tested nothing is a failure, never a pass.
PYTEST = status=0; $(BIN)/pytest -q $(1) || status=$$?; \
	if [ $$status -eq 5 ]; then echo "pytest ran no tests: treated as a failure" >&2; exit 1; fi; \
	exit $$status

help: ## Show this help
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-17s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test,dev]'
	touch $(STAMP)

venv: $(STAMP) ## Create .venv and install monitoring-dsl with its test tools

dashboards: $(STAMP) ## Build this repository's specs/ into build/
	$(BIN)/monitoring-dsl build

check: $(STAMP) ## Exit 1 if build/ is not what specs/ produce
	$(BIN)/monitoring-dsl build --check

tools: ## Install promtool, prometheus, amtool and chromium from Debian when missing (needs root)
	@if command -v promtool >/dev/null && command -v amtool >/dev/null && command -v prometheus >/dev/null; then \
		echo "promtool, prometheus and amtool are installed"; \
	else \
		echo "installing prometheus and prometheus-alertmanager from Debian"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq prometheus prometheus-alertmanager >/dev/null; \
	fi
	@if command -v chromium >/dev/null; then \
		echo "chromium is installed"; \
	else \
		echo "installing chromium from Debian (the preview screenshot test)"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	fi

test: $(STAMP) tools ## Run the test suite; needs nothing outside this repository
	@$(call PYTEST,)

test-corpus: $(STAMP) tools ## Run the tests over the real-world corpus in $MONITORING_DSL_CORPUS
	@if [ ! -f "$(MONITORING_DSL_CORPUS)/manifest.json" ]; then \
		echo "make test-corpus: no real-world corpus at $(MONITORING_DSL_CORPUS); set MONITORING_DSL_CORPUS to its directory" >&2; \
		exit 2; \
	fi
	@export MONITORING_DSL_CORPUS="$(abspath $(MONITORING_DSL_CORPUS))"; $(call PYTEST,--corpus tests/corpus)

lint: $(STAMP) ## Check style and types without changing anything
	$(BIN)/ruff check monitoring_dsl tests benchmarks
	$(BIN)/ruff format --check monitoring_dsl tests benchmarks
	$(BIN)/mypy
	$(BIN)/lint-imports --no-cache

fmt: $(STAMP) ## Rewrite code to the project's style
	$(BIN)/ruff check --fix monitoring_dsl tests benchmarks
	$(BIN)/ruff format monitoring_dsl tests benchmarks

bench: $(STAMP) tools ## Benchmark a build of workload L against promtool check rules (medians in benchmarks/results/latest.json)
	$(BIN)/python benchmarks/run.py --json benchmarks/results/latest.json

# 4x L takes minutes per build and lint on a 2-core machine: one run there, the median of 3 at 0.1x and 1x.
bench-scaling: $(STAMP) tools ## Build, promtool and lint at 0.1x, 1x and 4x L: seconds per 1,000 rules (benchmarks/results/scaling.json)
	$(BIN)/python benchmarks/run.py --scaling --repeat-largest 1 --json benchmarks/results/scaling.json

bench-middleware: $(STAMP) ## Measure the runtime middleware's overhead per request against the bare app
	$(BIN)/python benchmarks/middleware.py

clean: ## Remove build/ and .venv
	rm -rf build $(VENV)

oracle: $(STAMP) tools ## Regenerate promtool's verdicts in tests/oracle/expressions.yml (real promtool)
	$(BIN)/python tests/oracle/generate.py

docs: $(STAMP) ## Regenerate docs/checks/ from the check catalog's docstrings
	$(BIN)/python -m monitoring_dsl.checks.docs docs/checks
