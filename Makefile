# gradcards: `make run` serves the app, `make test` runs the tests. Both set up .venv first.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: run test check docker-smoke install install-dev bench bench-http vendor clean

run: $(VENV)/.installed
	$(BIN)/gradcards serve

# Tests run in PYTEST_WORKERS processes (pytest-xdist); every test has its own database and
# servers on free ports, so they do not collide. `make test PYTEST_WORKERS=0` runs them in one.
PYTEST_WORKERS ?= 2

test: $(VENV)/.installed-dev
	$(BIN)/pytest -n $(PYTEST_WORKERS)

check: $(VENV)/.installed-dev
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .
	$(BIN)/mypy app tests bench
	$(BIN)/hadolint --failure-threshold error Dockerfile

bench: $(VENV)/.installed-dev
	$(BIN)/python bench/engine.py

# The app's endpoints against a bare FastAPI app under load (wrk or hey when installed);
# `make bench-http BENCH_ARGS=--quick` for 3 s per endpoint. A module: bench/http.py as a script
# would shadow the standard library's http package.
bench-http: $(VENV)/.installed-dev
	$(BIN)/python -m bench.http $(BENCH_ARGS)

# Build the image with podman and run it (needs root; see scripts/docker-smoke).
docker-smoke:
	scripts/docker-smoke

vendor:
	scripts/vendor-frontend

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Reinstall only when the dependencies change; the package itself is installed editable.
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev,postgres]'
	touch $@ $(VENV)/.installed

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis
