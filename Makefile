# The two commands of the README. Both set everything up first, so they work on a fresh machine.
.PHONY: setup demo test lint bench clean

setup:
	bash scripts/setup.sh

demo: setup
	.venv/bin/siaga demo

test: setup
	.venv/bin/ruff check .
	.venv/bin/pytest -n 4 --dist loadscope --durations=30

lint:
	.venv/bin/ruff check .
	.venv/bin/ruff format --check .

clean:
	rm -rf var .pytest_cache
