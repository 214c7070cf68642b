# The two commands a fresh machine needs: `make run` and `make test`.
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell cksum pyproject.toml | cut -d' ' -f1)

.PHONY: run test check lint bench system-deps venv clean

venv: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[test]'
	rm -f $(VENV)/.installed-* && touch $@

# Debian packages the tests use (etcd for the store's conformance and HA tests).
system-deps:
	scripts/install-system-deps

# Bytecode first, as installing a package writes it: an editable install has none where
# PYTHONDONTWRITEBYTECODE is set, and compiling every module would double the start-up.
run: venv
	$(PY) -m compileall -q src
	$(VENV)/bin/kubeling up

test: venv system-deps check
	$(PY) -m pytest $(PYTEST_ARGS)

check: venv
	$(VENV)/bin/ruff check src tests bench
	$(VENV)/bin/ruff format --check src tests bench
	$(VENV)/bin/lint-imports
	$(VENV)/bin/mypy

bench: venv system-deps
	$(PY) bench/store.py

clean:
	rm -rf $(VENV) build *.egg-info src/*.egg-info
