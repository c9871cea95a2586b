# The two commands of the README: `make demo` (main job) and `make test`.
# Each creates .venv and installs the project on first use; only python3 >= 3.11 and make are needed.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/vcpu-hotplug demo

test: $(STAMP)
	$(BIN)/python -m pytest -q

# Not part of the test pass: prints QMP figures (hotplug cycles/s, 1 -> 512 -> 1 resize).
bench: $(STAMP)
	$(BIN)/python benchmarks/qmp_throughput.py

clean:
	rm -rf $(VENV) build src/*.egg-info .pytest_cache
