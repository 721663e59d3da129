# Deep Learning in Physics Research -- course tasks.
#   make book   build the site into _build/html (lectures executed in full mode)
#   make test   run the whole test suite (fast mode)
# Both create .venv and install the pinned requirements first if needed.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(abspath $(VENV))/bin
# nbgrader calls `alembic` from PATH, so the venv's bin/ must come first.
export PATH := $(BIN):$(PATH)
export PIP_DISABLE_PIP_VERSION_CHECK := 1

EX ?=
JOBS ?= 2

.PHONY: help venv data book release test lint lab autograde feedback grades serve clean

help:
	@echo "make book      build the site into _build/html (full mode, cached execution)"
	@echo "make test      run all tests in fast mode (unit, notebooks, grading, book)"
	@echo "make lab       open the lectures in JupyterLab"
	@echo "make data      generate and cache every default dataset, with timings"
	@echo "make release   generate the student versions of all exercises (grader/release, book/exercises)"
	@echo "make autograde EX=01_fundamentals   grade grader/submitted/*/EX"
	@echo "make feedback  EX=01_fundamentals   write HTML feedback to grader/feedback"
	@echo "make grades    export all grades to grader/grades.csv"
	@echo "make serve     serve the built site on http://localhost:8000"

$(VENV)/.installed: requirements.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q torch==2.13.0
	$(BIN)/pip install -q -r requirements.txt
	$(BIN)/pip install -q --no-deps --no-build-isolation -e .
	$(BIN)/pip check
	touch $@

venv: $(VENV)/.installed

data: venv
	$(BIN)/python -m dlphys.data generate

release: venv
	$(BIN)/python grader/release.py

book: release
	DLPHYS_FAST=0 $(BIN)/jupyter-book build . --path-output .

test: venv
	DLPHYS_FAST=1 $(BIN)/python -m pytest -n $(JOBS)

lint: venv
	$(BIN)/ruff check dlphys tests grader lectures exercises

lab: venv
	$(BIN)/jupyter lab lectures/

autograde: venv
	@test -n "$(EX)" || (echo "usage: make autograde EX=01_fundamentals" && exit 2)
	cd grader && $(BIN)/nbgrader autograde $(EX) --create

feedback: venv
	@test -n "$(EX)" || (echo "usage: make feedback EX=01_fundamentals" && exit 2)
	cd grader && $(BIN)/nbgrader generate_feedback $(EX)

grades: venv
	cd grader && $(BIN)/nbgrader export --to grades.csv
	@echo "grades written to grader/grades.csv"

serve:
	$(BIN)/python -m http.server --directory _build/html 8000

clean:
	rm -rf _build book/exercises grader/release grader/autograded grader/feedback
