# make demo: set up (virtual environment + install + Fashion-MNIST data) and run the demo.
# make test: set up and run the whole test suite.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: demo test lint fuzz bench clean setup data

setup: $(STAMP) data

# The Debian package dataset-fashion-mnist (installed when its files are missing).
data:
	sh scripts/ensure-fashion-mnist.sh

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet -e '.[test]'
	touch $(STAMP)

demo: $(STAMP) data
	$(PY) examples/demo.py
	@echo "==== Fashion-MNIST, a short run of examples/fashion_mnist.py (the full recipe: 24 epochs)"
	$(PY) examples/fashion_mnist.py --epochs 2

test: $(STAMP) data lint
	sh scripts/ensure-chromium.sh
	sh scripts/apt-ensure.sh texlive-latex-base /usr/bin/pdflatex  # exercises' PDFs (about 50 s once)
	$(PY) -m pytest -q

# The fuzz tests at full size: 10,000 generated cases per target (make test runs them at 300). CI runs it.
fuzz: $(STAMP)
	CHAINRULE_FUZZ_EXAMPLES=10000 $(PY) -m pytest -q tests/test_csv_fuzz.py tests/test_examples_fuzz.py

# Style, types and the layers' import contract (configured in pyproject.toml).
lint: $(STAMP)
	$(VENV)/bin/ruff check src tests examples benchmarks
	$(VENV)/bin/ruff format --check src tests examples benchmarks
	$(VENV)/bin/mypy
	$(VENV)/bin/lint-imports

# The test extra holds what the benchmarks compare with (torch, scikit-learn) and the fast extra (numba).
bench: $(STAMP) data
	$(PY) benchmarks/xor.py
	$(PY) benchmarks/optimizers.py
	$(PY) benchmarks/fashion_mnist.py

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis
