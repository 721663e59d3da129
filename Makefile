# Deep Learning in Physics Research -- course tasks.
#   make test        run the test suite (fast mode)
#   make book        build the site into _build/html (lectures executed in full mode,
#                    warnings are errors)
#   make check-book  check the HTML of that build
# All create .venv and install the pinned requirements first if needed.
# CI (.ci/run) runs test, book and check-book with DLPHYS_STRICT=1.

SUPPORTED_PYTHON := 3.11
PYTHON ?= $(shell command -v python$(SUPPORTED_PYTHON) || command -v python3)
VENV   := .venv
BIN    := $(abspath $(VENV))/bin
# nbgrader calls `alembic` from PATH, so the venv's bin/ must come first.
export PATH := $(BIN):$(PATH)
export PIP_DISABLE_PIP_VERSION_CHECK := 1
# keep TensorFlow's C++ start-up messages out of notebooks, the book and the tests
export TF_CPP_MIN_LOG_LEVEL := 2

EX ?=
JOBS ?= 2
# extra pytest options for make test / check-book, e.g. PYTEST_ARGS="--durations=30"
PYTEST_ARGS ?=

.PHONY: help check-python venv data mathjax book check-book release test lint lab autograde bench-grading feedback grades serve clean hub hub-proxy

help:
	@echo "make test      run the tests in fast mode (unit, lecture notebooks, grading pipelines)"
	@echo "make book      build the site into _build/html (full mode, cached execution, -W)"
	@echo "make check-book  check the HTML of the full-mode build (run make book first)"
	@echo "make lab       open the lectures in JupyterLab"
	@echo "make data      generate and cache every default dataset, with timings"
	@echo "make release   generate the student versions of all exercises (grader/release, book/exercises)"
	@echo "make autograde EX=01_fundamentals   grade grader/submitted/*/EX in the sandbox, with a summary"
	@echo "make feedback  EX=01_fundamentals   write HTML feedback to grader/feedback"
	@echo "make grades    export all grades to grader/grades.csv"
	@echo "make serve     serve the built site on http://localhost:8000"
	@echo "make hub       (as root) a JupyterHub for the class on this machine, for a demo (deploy/hub)"

# The pinned set in requirements.txt is for Python $(SUPPORTED_PYTHON) only.
check-python:
	@version=$$($(PYTHON) -c 'import sys; print("%d.%d" % sys.version_info[:2])' 2>/dev/null); \
	if [ "$$version" != "$(SUPPORTED_PYTHON)" ]; then \
	  echo "error: this course needs Python $(SUPPORTED_PYTHON), but '$(PYTHON)' is Python $${version:-(not found)}." >&2; \
	  echo "       Install python$(SUPPORTED_PYTHON), or point make at one: make PYTHON=/path/to/python$(SUPPORTED_PYTHON) ..." >&2; \
	  exit 1; \
	fi

$(VENV)/.installed: requirements.txt pyproject.toml | check-python
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q torch==2.13.0
	$(BIN)/pip install -q -r requirements.txt
	$(BIN)/pip install -q --no-deps --no-build-isolation -e .
	$(BIN)/pip check
	$(BIN)/python grader/sandbox.py install
	touch $@

venv: $(VENV)/.installed
	@$(BIN)/python -c 'import sys; sys.exit(sys.version_info[:2] != tuple(map(int, "$(SUPPORTED_PYTHON)".split("."))))' \
	  || { echo "error: $(VENV) was made with another Python than $(SUPPORTED_PYTHON); remove it (rm -rf $(VENV)) and run make again." >&2; exit 1; }

data: venv
	$(BIN)/python -m dlphys.data generate

release: venv
	$(BIN)/python grader/release.py

# The pages load nothing from another host: MathJax is vendored into book/_static
# (generated, not committed) from the npm package, pinned here; see _config.yml.
MATHJAX_VERSION := 3.2.2
MATHJAX_STAMP   := book/_static/mathjax/.mathjax-$(MATHJAX_VERSION)

$(MATHJAX_STAMP):
	@command -v npm >/dev/null 2>&1 || { echo "error: make book vendors MathJax $(MATHJAX_VERSION) with npm, which is missing; install Node.js 20 (it ships npm) and run make book again." >&2; exit 1; }
	rm -rf book/_static/mathjax
	tmp=$$(mktemp -d) && npm pack mathjax@$(MATHJAX_VERSION) --silent --pack-destination $$tmp >/dev/null \
	  && tar -xzf $$tmp/mathjax-$(MATHJAX_VERSION).tgz -C $$tmp \
	  && mkdir -p book/_static/mathjax \
	  && cp -r $$tmp/package/es5/tex-mml-chtml.js $$tmp/package/es5/a11y $$tmp/package/es5/adaptors \
	       $$tmp/package/es5/input $$tmp/package/es5/output $$tmp/package/es5/sre $$tmp/package/es5/ui \
	       book/_static/mathjax/ \
	  && rm -rf $$tmp && touch $@

mathjax: $(MATHJAX_STAMP)

# Full mode, warnings are errors (all reported before it fails).  The execution cache
# re-runs a lecture when its code, the dlphys modules it imports or DLPHYS_FAST changed
# (book/_ext/dlphys_execution_key.py).
book: release $(MATHJAX_STAMP)
	DLPHYS_FAST=0 $(BIN)/jupyter-book build -W --keep-going . --path-output .

# The HTML checks of tests/test_book.py on the build of `make book`; without a current
# full-mode build they fail (DLPHYS_STRICT=1), they never pass unchecked.
check-book: venv
	DLPHYS_STRICT=1 $(BIN)/python -m pytest -n 0 tests/test_book.py $(PYTEST_ARGS)

# Fast mode; every lecture is executed once (nbval), every exercise twice (the
# reference and the wrong submission of its grading pipeline); the class on a real
# JupyterHub (tests/test_hub.py: as root, with Node.js).  The book checks need
# a full-mode build and run in check-book.
test: venv
	@$(MAKE) --no-print-directory hub-proxy || echo "note: the hub's proxy could not be installed; tests/test_hub.py will say so"
	DLPHYS_FAST=1 $(BIN)/python -m pytest -n $(JOBS) --ignore=tests/test_book.py $(PYTEST_ARGS)

lint: venv
	$(BIN)/ruff check dlphys tests grader lectures exercises

lab: venv
	$(BIN)/jupyter lab lectures/

# Every student's kernel in the grading sandbox (grader/sandbox.py); a summary at the end.
# GRADE_JOBS students at a time.  Refuses without bubblewrap (see book/instructors.md).
GRADE_JOBS ?= 1
autograde: venv
	@test -n "$(EX)" || (echo "usage: make autograde EX=01_fundamentals" && exit 2)
	$(BIN)/python grader/autograde.py $(EX) --jobs $(GRADE_JOBS)

# Sandbox overhead per notebook and the time to grade 30 submissions (full mode).
bench-grading: venv
	$(BIN)/python grader/bench_autograde.py --exercise $(or $(EX),01_fundamentals) --students 30 --jobs 2

feedback: venv
	@test -n "$(EX)" || (echo "usage: make feedback EX=01_fundamentals" && exit 2)
	cd grader && $(BIN)/nbgrader generate_feedback $(EX)

grades: venv
	cd grader && $(BIN)/nbgrader export --to grades.csv
	@echo "grades written to grader/grades.csv"

serve:
	$(BIN)/python -m http.server --directory _build/html 8000

# The hub's proxy (configurable-http-proxy, pinned in deploy/hub/package-lock.json).
HUB_PROXY := deploy/hub/node_modules/.bin/configurable-http-proxy
$(HUB_PROXY): deploy/hub/package.json deploy/hub/package-lock.json
	@command -v npm >/dev/null 2>&1 || { echo "error: the hub's proxy is an npm package and npm is missing; install Node.js 20 (it ships npm)." >&2; exit 1; }
	npm ci --prefix deploy/hub --no-audit --no-fund --loglevel=error
	touch $@

hub-proxy: $(HUB_PROXY)

# A JupyterHub for one course server (deploy/hub, explained on the "For instructors"
# page), run as root: accounts from HUB_ROSTER (new ones get a random password, printed),
# the course environment and the exchange, then the hub on http://HUB_IP:HUB_PORT.
HUB_ROOT   ?= /srv/dlphys-hub
HUB_ROSTER ?= deploy/hub/roster.example.csv
HUB_IP     ?= 127.0.0.1
HUB_PORT   ?= 8000
# e.g. HUB_PROVISION_ARGS=--generate-data: fill the shared dataset cache once
HUB_PROVISION_ARGS ?=
hub: venv hub-proxy
	@test "$$(id -u)" = 0 || { echo "error: make hub creates UNIX accounts and runs every user's server as that user: run it as root (sudo make hub)." >&2; exit 1; }
	$(BIN)/python deploy/hub/provision.py --root $(HUB_ROOT) --roster $(HUB_ROSTER) --set-passwords $(HUB_PROVISION_ARGS)
	@echo
	@echo "JupyterHub for the course: http://$(HUB_IP):$(HUB_PORT)/"
	@echo "Log in with an account of $(HUB_ROSTER); the passwords of the accounts made for it"
	@echo "are in $(HUB_ROOT)/state/passwords.txt.  Ctrl-C stops the hub and every user server."
	cd $(HUB_ROOT)/state && DLPHYS_HUB_ROOT=$(HUB_ROOT) DLPHYS_HUB_IP=$(HUB_IP) DLPHYS_HUB_PORT=$(HUB_PORT) \
	  $(HUB_ROOT)/venv/bin/jupyterhub -f $(abspath deploy/hub/jupyterhub_config.py)

clean:
	rm -rf _build book/exercises grader/release grader/autograded grader/feedback
