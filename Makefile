# Tasks for the template itself. Needs only Python >= 3.11, pip, make and git:
# the first task creates .venv and installs uv, cookiecutter and pytest into it.
.DEFAULT_GOAL := help
SHELL := /bin/bash

VENV := .venv
BIN := $(CURDIR)/$(VENV)/bin
export PATH := $(BIN):$(PATH)
export MLFLOW_DISABLE_TELEMETRY := true
export DO_NOT_TRACK := true
export ORT_DISABLE_TELEMETRY := 1

DEMO := build/demo
PROJECT := {{cookiecutter.project}}

.PHONY: help install demo lint test lock clean

help:  ## List the tasks
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-8s %s\n", $$1, $$2}'

install: $(VENV)/.installed  ## Create .venv with the template's tools

$(VENV)/.installed: tests/requirements.txt
	python3 -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check uv==0.13.9
	$(BIN)/uv pip install --quiet --python $(BIN)/python -r tests/requirements.txt
	touch $@

demo: install  ## Bake the default project into build/demo and run its whole pipeline
	rm -rf $(DEMO) && mkdir -p $(DEMO)
	cookiecutter . --no-input --output-dir $(DEMO)
	cd $(DEMO)/gated-model && git init -q -b main && git add -A \
		&& git -c user.name=Demo -c user.email=demo@example.com commit -qm "Bake" \
		&& $(MAKE) --no-print-directory setup lint test data eda train evaluate export card \
		&& git add -A && git -c user.name=Demo -c user.email=demo@example.com commit -qm "Train" \
		&& $(MAKE) --no-print-directory gates comment promote
	@echo && echo "Demo project: $(DEMO)/gated-model (its pull-request comment: reports/comment.md)" \
		&& echo "Holdout metrics:" \
		&& python3 -c 'import json,sys; [print(f"  {k:10} {v:.4f}") for k,v in json.load(open(sys.argv[1]))["metrics"].items()]' \
			$(DEMO)/gated-model/model/record.json

lint: install  ## black and flake8 over hooks and tests; zizmor, schema, actionlint on CI
	black --check --quiet hooks tests
	flake8 hooks tests
	zizmor --offline --quiet .github/workflows
	check-jsonschema --builtin-schema vendor.github-workflows .github/workflows/*.yml
	actionlint .github/workflows/*.yml
	check-jsonschema --builtin-schema vendor.github-actions tests/actions/*/action.yml

test: lint  ## Run the template's whole test suite (after lint)
	pytest

lock: install  ## Re-lock the generated project's dependencies ({{cookiecutter.project}}/uv.lock)
	rm -rf build/lock && mkdir -p build/lock
	cookiecutter . --no-input --output-dir build/lock
	cd build/lock/gated-model && uv lock --upgrade
	sed 's/^name = "gated-model"$$/name = "{{ cookiecutter.project }}"/' \
		build/lock/gated-model/uv.lock > "$(PROJECT)/uv.lock"

clean:  ## Remove build/ and .venv/
	rm -rf build $(VENV)
