# cnimodel: `make report` (main job on the bundled data) and `make test` (whole suite).
# Both create .venv on first use; nothing else needs to be installed by hand but python3.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
REPORTS ?= reports
DATA   ?= data

.PHONY: setup report test test-fast lab lab-deps bench clean strip-notebooks

$(STAMP): pyproject.toml
	@$(PYTHON) -m venv $(VENV) || { echo "python3 -m venv failed: on Debian run 'apt-get install python3-venv'"; exit 1; }
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	$(PY) -m ipykernel install --user --name cnimodel --display-name "Python (cnimodel)" >/dev/null
	@touch $(STAMP)

setup: $(STAMP)

report: $(STAMP)
	$(PY) -m cnimodel report $(DATA) --out $(REPORTS)

# The lab tests build network namespaces and measure with them: they run first, alone (their
# figures and their clean-up checks must not share the 2 cores with the rest), then the rest
# in parallel.
test: $(STAMP)
	$(PY) -m pytest -m lab tests
	$(PY) -m pytest -n 2 --dist loadgroup -m "not lab" tests cnimodel

test-fast: $(STAMP)
	$(PY) -m pytest -x -q -m "not lab and not browser and not slow" tests cnimodel

lab-deps:
	bash .ci/install-system-deps

lab: $(STAMP) lab-deps
	$(PY) -m cnimodel lab run --out $(DATA)

bench: $(STAMP)
	for b in benchmarks/bench_*.py; do echo "== $$b"; $(PY) $$b || exit 1; done

strip-notebooks: $(STAMP)
	$(PY) -m nbconvert --clear-output --inplace notebooks/*.ipynb

clean:
	rm -rf $(VENV) $(REPORTS) .pytest_cache .hypothesis
