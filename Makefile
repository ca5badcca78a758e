# vnevents: the two commands a newcomer needs are `make run` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: run test bench evaluate review install clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[test]"
	touch $(STAMP)

install: $(STAMP)

## run the pipeline on the bundled corpus -> outputs/
run: $(STAMP)
	$(BIN)/vnevents run corpus/raw --out outputs

## install and run the test suite
test: $(STAMP)
	$(BIN)/vnevents gold validate corpus/gold/seeds.jsonl corpus/gold/dev.jsonl
	$(BIN)/vnevents evaluate corpus/gold/dev.jsonl --baselines
	mkdir -p build
	$(BIN)/vnevents run corpus/raw --out build/ci-run --workers 1 --quiet --force
	$(BIN)/frictionless validate build/ci-run/datapackage.json
	$(BIN)/python -m pytest -q

## accuracy against the bundled and development gold (each scored separately), with the baselines
evaluate: $(STAMP)
	$(BIN)/vnevents evaluate corpus/gold/seeds.jsonl corpus/gold/dev.jsonl --baselines

## throughput and memory benchmark
bench: $(STAMP)
	$(BIN)/vnevents bench

## review workspace on the last run's outputs
review: $(STAMP)
	$(BIN)/vnevents review --out outputs

clean:
	rm -rf $(VENV) outputs/*.parquet outputs/*.csv outputs/*.jsonl outputs/*.html outputs/cache.sqlite
