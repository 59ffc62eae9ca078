# The two commands of the README. Both do all the set-up a fresh machine needs.
.PHONY: example test bench setup

setup:
	./scripts/setup.sh

## Run the whole pipeline on the bundled example plan; outputs in out/chiari-2025/
example: setup
	.venv/bin/piao run examples/chiari-2025.pdf --out out/chiari-2025

## Run the test suite
test: setup
	.venv/bin/python -m pytest -n 2

## Print the benchmark figures (see scripts/benchmark.py)
bench: setup
	.venv/bin/python scripts/benchmark.py
