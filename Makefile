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

run: $(STAMP)
	$(BIN)/newsprov run seeds --out output --batch $(BATCH)

# pytest exits 5 when it collects no test; that is a failure here, as it is for CI.
test: $(STAMP)
	$(BIN)/python -m pytest -q

# Quality on the labelled data beside the checkout (research-use texts: read in place, never copied).
eval: $(STAMP)
	$(BIN)/newsprov eval pairs $(SHARED)/eval/dev --report output/eval-dev.json
	$(BIN)/newsprov eval pairs $(SHARED)/eval/paraphrase-dev --report output/eval-paraphrase-dev.json
	$(BIN)/newsprov eval attribution $(SHARED)/eval/attribution/dev.jsonl --errors output/eval-attribution-errors.jsonl

clean:
	rm -rf $(VENV) output/*/ output/.staging
