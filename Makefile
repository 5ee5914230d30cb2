# Thin targets over the Python entry points; each one works from a fresh clone.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
MODULE ?= module1_llm_features

.PHONY: setup demo test test-fast lint lab release check cohort bench serve clean

setup: $(VENV)/.installed ## create .venv and install the course (idempotent)

$(VENV)/.installed: pyproject.toml autograder/kernels/course-sim/kernel.json
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev,cohort]'
	$(BIN)/python -m ipykernel install --sys-prefix --name python3 --display-name "Python 3 (course)" >/dev/null
	$(BIN)/jupyter kernelspec install autograder/kernels/course-sim --sys-prefix --name course-sim >/dev/null 2>&1
	@touch $@

demo: setup ## run every notebook headless on the simulator, self-grade the solutions, summarise
	$(BIN)/python -m autograder demo

# Test files are spread over the cores (pytest-xdist); a file's tests stay on one worker, so
# its module-scoped fixtures (a module's notebook runs, a reference grading) are built once.
JOBS ?= 2

test: setup ## lint, then the whole test suite (what CI runs)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports --config .importlinter
	$(BIN)/python -m pytest -q -n $(JOBS) --dist loadfile --durations=25

test-fast: setup ## lint and every test that runs no notebook and no grader (for development)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python -m pytest -q -n $(JOBS) --dist loadfile -m "not slow"

# Jupyter refuses to run as root (containers, cloud VMs): allowed, with a warning.
LAB_ROOT := $(if $(filter 0,$(shell id -u)),--allow-root)

lab: setup ## open JupyterLab on the course (Nbgrader > Formgrader reads ./nbgrader_config.py)
	@$(if $(LAB_ROOT),echo "warning: running Jupyter as root: anything a notebook runs has root's rights here" >&2)
	$(BIN)/jupyter lab --notebook-dir=. $(LAB_ROOT) $(LAB_ARGS)

release: setup ## regenerate the student notebooks from autograder/source
	$(BIN)/python -m autograder release

check: setup ## grade your own copy of a module: make check MODULE=module1_llm_features
	$(BIN)/python -m autograder check $(MODULE)

cohort: setup ## grade a cohort: make cohort MODULE=... SUBMISSIONS=export.zip [ARGS="--workers 2"]
	$(BIN)/python -m autograder cohort $(MODULE) $(SUBMISSIONS) $(ARGS)

bench: setup ## simulator throughput, notebook times, faiss sweep, eval-harness throughput
	$(BIN)/python benchmarks/run_benchmarks.py
	$(BIN)/python benchmarks/bench_faiss.py
	$(BIN)/python benchmarks/bench_evals.py

serve: setup ## the simulator's OpenAI-compatible server on 127.0.0.1:8765
	$(BIN)/python -m course.sim serve

clean:
	rm -rf $(VENV) .course_state build *.egg-info
