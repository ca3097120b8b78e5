# make run   -> .venv, install, run the pipeline on seeds/ into output/
# make test  -> .venv, install, run the test suite
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
BATCH ?= 2025-10-24

SHARED ?= ../shared

.PHONY: run test eval clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

# The tests also run the Spark engine (pyspark, about 450 MB with its jars, and Java 17): installed for make test only.
TEST_STAMP := $(VENV)/.installed-spark

$(TEST_STAMP): $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[test,spark]'
	touch $(TEST_STAMP)

run: $(STAMP)
	$(BIN)/newsprov run seeds --out output --batch $(BATCH)

# SKIP=browser,spark (either or both) leaves out those tests (pytest markers) and what they install;
# CI runs the plain `make test`.
comma := ,
SKIPPED := $(subst $(comma), ,$(SKIP))
ifneq ($(filter-out browser spark,$(SKIPPED)),)
$(error SKIP takes browser and/or spark, e.g. make test SKIP=browser,spark; got $(SKIP))
endif
empty :=
space := $(empty) $(empty)
PYTEST_SKIP := $(if $(SKIPPED),-m "not $(subst $(space), and not ,$(strip $(SKIPPED)))")

# pytest exits 5 when it collects no test; that is a failure here, as it is for CI.
# The report tests drive a real headless browser: Debian's chromium (about 130 packages), installed when
# missing (as root).
test: $(if $(filter spark,$(SKIPPED)),$(STAMP),$(TEST_STAMP))
	$(if $(filter browser,$(SKIPPED)),,command -v chromium >/dev/null || (apt-get update -qq && apt-get install -y -qq chromium) \
		|| echo "chromium could not be installed: the browser tests will be skipped")
	$(BIN)/python -m pytest -q $(PYTEST_SKIP)

# Quality on the labelled data beside the checkout (research-use texts: read in place, never copied).
eval: $(STAMP)
	$(BIN)/newsprov eval pairs $(SHARED)/eval/dev --report output/eval-dev.json
	$(BIN)/newsprov eval pairs $(SHARED)/eval/paraphrase-dev --report output/eval-paraphrase-dev.json
	$(BIN)/newsprov eval pairs $(SHARED)/eval/real-pan13-dev --report output/eval-real-pan13-dev.json
	$(BIN)/newsprov eval attribution $(SHARED)/eval/attribution/dev.jsonl --errors output/eval-attribution-errors.jsonl
	$(BIN)/newsprov eval attribution $(SHARED)/eval/attribution/dev-extra.jsonl --errors output/eval-attribution-extra-errors.jsonl

clean:
	rm -rf $(VENV) output/*/ output/.staging

# Benchmarks (bench/README.md): `make bench` (full, with a 1M-passage run: 12-15 min on 2 cores, see bench/results.md) or
# `make bench BENCH_SCALE=small` (< 3 min).
# rensa and text-dedup are bench-only extras in their own venvs under bench/ (git-ignored), never project
# dependencies; if they cannot be installed the bench reports them as `na`. datasketch, what the fingerprint
# and LSH figures compare against, is in the test extra only (the bench checks its signatures equal first).
BENCH_SCALE ?= full
BENCH_VENV := bench/.venv
BENCH_TD_VENV := bench/.venv-textdedup

.PHONY: bench

$(BENCH_VENV)/.installed: pyproject.toml
	test -x $(BENCH_VENV)/bin/python || $(PYTHON) -m venv $(BENCH_VENV)
	$(BENCH_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(BENCH_VENV)/bin/python -m pip install --quiet -e . datasketch
	-$(BENCH_VENV)/bin/python -m pip install --quiet rensa
	touch $@

$(BENCH_TD_VENV)/.installed:
	-test -x $(BENCH_TD_VENV)/bin/python || $(PYTHON) -m venv $(BENCH_TD_VENV)
	-$(BENCH_TD_VENV)/bin/python -m pip install --quiet --no-deps text-dedup==0.4.0 && \
	 $(BENCH_TD_VENV)/bin/python -m pip install --quiet datasets scipy 'click<9' 'click-option-group<0.6' tqdm \
	   xxhash regex 'rich<14' ftfy numpy zstandard 'urllib3<=2.0'
	-mkdir -p $(BENCH_TD_VENV) && touch $@

bench: $(BENCH_VENV)/.installed $(BENCH_TD_VENV)/.installed
	$(BENCH_VENV)/bin/python bench/run.py --scale $(BENCH_SCALE) --docs $(SHARED)/eval/dev/docs \
	  --textdedup-python $(BENCH_TD_VENV)/bin/python \
	  --results bench/results$(if $(filter small,$(BENCH_SCALE)),-small,).md
