# Model Deck. Set-up is two commands: `make serve` and `make test`.
# Everything installs into .venv with uv, exactly the versions in uv.lock; nothing is needed
# beforehand but Python, make and apt.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
UV_VERSION := 0.13.9
UV := $(shell command -v uv 2>/dev/null || echo .tools/uv/bin/uv)
export UV_PYTHON_DOWNLOADS := never
# pytest-xdist workers for `make test` and `make test-clone`: one per core, at most 4 (each is a
# session of its own, with its own databases, servers and temporary folders; PostgreSQL takes
# 100 connections). `make test WORKERS=1` runs the suite in one process, `WORKERS=3` on three.
WORKERS ?= logical
PYTEST_WORKERS = $(if $(filter 0 1,$(WORKERS)),-n 0,-n $(WORKERS) $(if $(filter auto logical,$(WORKERS)),--maxprocesses=4))

.PHONY: serve test test-clone lint format bench docs install lock clean-venv

serve: $(BIN)/.installed ## Install, migrate, seed and serve on http://127.0.0.1:8000
	@$(BIN)/python -m compileall -q src
	$(BIN)/modeldeck serve

# The whole suite on every core (WORKERS above), each test file on one worker (--dist loadfile,
# in pyproject.toml's addopts). By hand: `.venv/bin/python -m pytest -n 2`.
test: $(BIN)/.installed lint ## The whole suite, on SQLite and PostgreSQL, and in Chromium
	@scripts/ensure-postgres
	@scripts/ensure-chromium
	@scripts/ensure-node-modules
	@$(MAKE) --no-print-directory test-clone
	@$(BIN)/python -m compileall -q src
	MODELDECK_TEST_UV="$(abspath $(UV))" $(BIN)/python -m pytest $(PYTEST_WORKERS)

test-clone: $(BIN)/.installed ## The fast tests again, in a fresh clone with nothing beside it
	@PYTEST_WORKERS="$(PYTEST_WORKERS)" scripts/test-fresh-clone "$(abspath $(UV))"

lint: $(BIN)/.installed ## ruff, ruff format --check, mypy --strict
	$(BIN)/ruff check src tests scripts bench
	$(BIN)/ruff format --check src tests scripts bench
	$(BIN)/mypy

format: $(BIN)/.installed
	$(BIN)/ruff check --fix src tests scripts bench
	$(BIN)/ruff format src tests scripts bench

bench: $(BIN)/.installed ## Figures as ratios against anchors measured in the same run
	@scripts/ensure-postgres
	$(UV) sync --quiet --locked --compile-bytecode --python $(PYTHON) --extra dev --extra bench
	LITELLM_LOCAL_MODEL_COST_MAP=True $(BIN)/python -m bench

docs: $(BIN)/.installed ## Regenerate docs/cli.md from the commands' --help
	@mkdir -p docs
	$(BIN)/python -m modeldeck.cli.reference > docs/cli.md

install: $(BIN)/.installed

lock: $(UV) ## Upgrade: re-resolve uv.lock after editing pyproject.toml (see README)
	$(UV) lock

# --locked: install exactly uv.lock, and stop when pyproject.toml asks for something else.
# --compile-bytecode: every process (each `modeldeck` command, each server a test starts)
# then loads compiled modules instead of compiling its imports again, which it would do on
# every start where PYTHONDONTWRITEBYTECODE is set (containers, CI): half the start time.
$(BIN)/.installed: pyproject.toml uv.lock $(UV)
	$(UV) sync --locked --compile-bytecode --python $(PYTHON) --extra dev
	@$(BIN)/python -m compileall -q src
	@touch $@

.tools/uv/bin/uv:
	@$(PYTHON) -m pip --version >/dev/null 2>&1 || (apt-get update -qq && apt-get install -y -qq python3-pip)
	$(PYTHON) -m pip install --quiet --disable-pip-version-check --target .tools/uv uv==$(UV_VERSION)

clean-venv:
	rm -rf $(VENV) .tools
