# make demo: set up (virtual environment + install + Fashion-MNIST data) and run the demo.
# make test: set up and run the whole test suite.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: demo test lint fuzz bench clean setup data bench-env

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
	$(BENCH_PY) benchmarks/fashion_mnist.py
	$(PY) benchmarks/ensemble.py
	$(BENCH_PY) benchmarks/peers.py --rounds 3

# The peers' environment for benchmarks/peers.py: JAX (pinned CPU wheels) in a venv of its own, never in the
# library's dependencies nor in .venv. It sees .venv's packages (numpy, torch, scikit-learn, chainrule) through a
# .pth file, so there is one numpy and one torch: numpy is named at .venv's version (already there, pip adds
# nothing), and the recipe fails if a numpy or torch landed in .bench-venv all the same.
BENCH_VENV := .bench-venv
BENCH_PY := $(BENCH_VENV)/bin/python
BENCH_STAMP := $(BENCH_VENV)/.installed
JAX_PINS := jax==0.10.2 jaxlib==0.10.2

bench: $(BENCH_STAMP)
bench-env: $(BENCH_STAMP)

$(BENCH_STAMP): $(STAMP)
	$(PYTHON) -m venv $(BENCH_VENV)
	echo "import site; site.addsitedir('$$($(PY) -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')')" \
		> "$$($(BENCH_PY) -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')/chainrule-dotvenv.pth"
	$(BENCH_PY) -m pip install --quiet $(JAX_PINS) "numpy==$$($(PY) -c 'import numpy; print(numpy.__version__)')"
	$(BENCH_PY) -c "import numpy, torch, jax, sys; bad = [m.__name__ for m in (numpy, torch) if '$(BENCH_VENV)' in m.__file__]; sys.exit(f'{bad} landed in $(BENCH_VENV)' if bad else 0)"
	touch $(BENCH_STAMP)

clean:
	rm -rf $(VENV) $(BENCH_VENV) .pytest_cache .hypothesis
