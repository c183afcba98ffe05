# Karmabot — `make run` starts the bot, `make test` runs the whole suite.
# Both do any missing set-up first (virtual environments, trained Rasa model) and skip it when
# nothing changed.

SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV       := .venv
VENV_RASA  := .venv-rasa
PY         := $(VENV)/bin/python
RASA       := $(VENV_RASA)/bin/rasa
MODEL      := models/karmabot.tar.gz
LOGS       := var/logs
RASA_ENV   := TF_CPP_MIN_LOG_LEVEL=3 RASA_TELEMETRY_ENABLED=false SQLALCHEMY_SILENCE_UBER_WARNING=1
TRAIN_DATA := config.yml domain.yml $(shell find bot/data -name '*.yml' 2>/dev/null)

# Python 3.10 for Rasa: python3.10 on PATH (a pyenv shim counts only if it works), else pyenv's.
PYTHON310 ?= $(shell for c in python3.10 $$(pyenv root 2>/dev/null)/versions/3.10*/bin/python3.10 $$HOME/.pyenv/versions/3.10*/bin/python3.10 /usr/bin/python3.10 /usr/local/bin/python3.10; do \
	p=$$(command -v $$c 2>/dev/null) && $$p -c 'import sys; assert sys.version_info[:2] == (3, 10)' 2>/dev/null && { echo $$p; break; }; done)
PYTHON311 ?= $(shell for c in python3.11 python3; do \
	p=$$(command -v $$c 2>/dev/null) && $$p -c 'import sys; assert sys.version_info[:2] == (3, 11)' 2>/dev/null && { echo $$p; break; }; done)

.PHONY: help setup model run test lint validate nlu-eval stories bench clean

help:  ## Show the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

setup: $(VENV)/.installed $(VENV_RASA)/.installed  ## Create both virtual environments

$(VENV)/.installed: pyproject.toml
	@test -n "$(PYTHON311)" || { echo "Python 3.11 is required for .venv: install it (e.g. 'pyenv install 3.11')." >&2; exit 1; }
	@mkdir -p $(LOGS)
	@echo "Setting up $(VENV) (Python 3.11: $(PYTHON311)) …"
	@test -x $(PY) || $(PYTHON311) -m venv $(VENV)
	@$(PY) -m pip install -q -e '.[dev]' > $(LOGS)/setup-venv.log 2>&1 \
		|| { grep -v 'is ignored' $(LOGS)/setup-venv.log | tail -20; echo "pip failed; full log: $(LOGS)/setup-venv.log" >&2; exit 1; }
	@touch $@

$(VENV_RASA)/.installed: bot/requirements-rasa.txt
	@test -n "$(PYTHON310)" || { echo "Rasa 3.6 needs Python 3.10, which was not found. Install it with 'pyenv install 3.10.13' (or your OS package python3.10), or set PYTHON310=/path/to/python3.10." >&2; exit 1; }
	@mkdir -p $(LOGS)
	@echo "Setting up $(VENV_RASA) (Python 3.10: $(PYTHON310)); the first time takes about 5 minutes …"
	@test -x $(VENV_RASA)/bin/python || $(PYTHON310) -m venv $(VENV_RASA)
	@$(VENV_RASA)/bin/pip install -q -r bot/requirements-rasa.txt > $(LOGS)/setup-rasa.log 2>&1 \
		|| { grep -v 'is ignored' $(LOGS)/setup-rasa.log | tail -20; echo "pip failed; full log: $(LOGS)/setup-rasa.log" >&2; exit 1; }
	@touch $@

model: $(MODEL)  ## Train the Rasa model if its training data changed

$(MODEL): $(VENV_RASA)/.installed $(TRAIN_DATA)
	@mkdir -p $(LOGS)
	@echo "Training the Rasa model …"
	@$(RASA_ENV) $(RASA) train --data bot/data --config config.yml --domain domain.yml \
		--out models --fixed-model-name karmabot > $(LOGS)/train.log 2>&1 \
		|| { tail -30 $(LOGS)/train.log; echo "training failed; full log: $(LOGS)/train.log" >&2; exit 1; }
	@touch $@
	@echo "Model ready: $@"

run: setup model  ## Start Karmabot (web chat on http://127.0.0.1:8080/, console: karmabot chat)
	@$(VENV)/bin/karmabot up

validate: setup  ## Validate the Rasa training data and domain
	@$(RASA_ENV) $(RASA) data validate --data bot/data --config config.yml --domain domain.yml --fail-on-warnings > $(LOGS)/validate.log 2>&1 \
		|| { grep -E 'WARNING|ERROR|UserWarning' $(LOGS)/validate.log | head -30; echo "rasa data validate failed; log: $(LOGS)/validate.log" >&2; exit 1; }
	@echo "rasa data validate: clean"

lint: setup  ## ruff, mypy and the layer contract (import-linter, in pyproject.toml)
	@$(VENV)/bin/ruff check .
	@$(VENV)/bin/ruff format --check .
	@$(VENV)/bin/mypy core bot actions learning connectors knowledge bench
	@$(VENV)/bin/lint-imports --no-cache > $(LOGS)/lint-imports.log 2>&1 \
		|| { sed -n '/^Contracts/,$$p' $(LOGS)/lint-imports.log; exit 1; }
	@grep -E '^Contracts:' $(LOGS)/lint-imports.log

nlu-eval: setup model  ## Intent macro F1 per language form: own and independent held-out sets
	@$(VENV)/bin/karmabot nlu-eval

test: setup model lint validate  ## The whole suite (what CI runs)
	@$(PY) -m pytest

bench: setup model  ## Benchmarks; results in docs/PERFORMANCE.md
	@$(PY) -m bench.turns
	@$(PY) -m bench.turns.history
	@$(PY) -m bench.learning
	@$(PY) -m bench.knowledge
	@$(PY) -m bench.channels
	@$(PY) -m bench.campaigns
	@$(PY) -m bench.dashboard

clean:  ## Remove trained models and local state (not the virtual environments)
	rm -rf models var .rasa
