# From rules to GPT: one command to learn (make lab), one to test (make test).
# Both set up .venv first; a second run of the setup takes seconds (it is stamped).

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.course-installed
KERNEL := from-rules-to-gpt
JOBS ?= 2
NOTEBOOKS := $(wildcard notebooks/[0-9][0-9]_*.ipynb)
# Extra JupyterLab arguments, e.g. make lab LAB_ARGS="--no-browser --port 8890".
LAB_ARGS ?=
# JupyterLab refuses to start as root (Docker images, classroom VMs, many WSL set-ups)
# unless told --allow-root.
ROOT_ARGS := $(if $(filter 0,$(shell id -u 2>/dev/null)),--allow-root)

.PHONY: setup data doctor lab test unit lint format execute student teaching site test-browser clean

setup: $(STAMP)

$(STAMP): requirements.txt pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.txt
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps -e .
	$(BIN)/python -m ipykernel install --sys-prefix --name $(KERNEL) --display-name "Python (From rules to GPT)" >/dev/null
	touch $(STAMP)

data: setup
	$(BIN)/python -m course_utils data

doctor: setup
	$(BIN)/python -m course_utils doctor

lab: data
	@$(if $(ROOT_ARGS),echo "Running as root: JupyterLab starts with --allow-root.")
	$(BIN)/jupyter lab notebooks/00_course_map.ipynb $(ROOT_ARGS) $(LAB_ARGS)

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

test: data lint
	$(BIN)/python -m pytest -p tests.plugins.timing -n $(JOBS) --dist loadfile \
		tests --nbval-lax $(NOTEBOOKS)

unit: setup
	$(BIN)/python -m pytest -m "not slow" tests

format: setup
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

execute: data
	$(BIN)/python -m course_utils execute $(NOTEBOOKS)
	$(BIN)/python -m course_utils.classroom.teaching

teaching: setup
	$(BIN)/python -m course_utils.classroom.teaching

site: setup
	$(BIN)/python -m course_utils.classroom.site

# Headless JupyterLab + Debian's Chromium (apt-get install chromium); screenshots in
# build/browser-screenshots/. Not part of `make test` (see README, "Browser test").
test-browser: data
	$(BIN)/python -m pytest tests/browser -v -s

student: setup
	$(BIN)/python -m course_utils student

clean:
	rm -rf notebooks/student .pytest_cache .ruff_cache
