# make demo: set up (virtual environment + install + Fashion-MNIST data) and run the demo.
# make test: set up and run the whole test suite.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: demo test lint bench clean setup data

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

# Style, types and the layers' import contract (configured in pyproject.toml).
lint: $(STAMP)
	$(VENV)/bin/ruff check src tests examples benchmarks
	$(VENV)/bin/ruff format --check src tests examples benchmarks
	$(VENV)/bin/mypy
	$(VENV)/bin/lint-imports

bench: $(STAMP) data
	$(PY) benchmarks/xor.py
	$(PY) benchmarks/fashion_mnist.py

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis
