# Two commands do everything on a fresh machine: `make demo` and `make test`.
# Each first creates or refreshes .venv (scripts/ensure-venv.sh), quickly when nothing changed.
# Variables: PYTHON (default python3), TORCH_SPEC (default torch==2.13.0, the CPU build).

DEMO_OUT ?= out/demo
VENV ?= .venv
export VENV

.PHONY: demo test lint setup setup-dev

setup:
	@bash scripts/ensure-venv.sh ""

setup-dev:
	@bash scripts/ensure-venv.sh dev

demo: setup
	@echo "demo: text-driven transfer with the bundled model into $(DEMO_OUT)/"
	$(VENV)/bin/momo transfer --leader "a person walks forward" \
		--follower "an exhausted person walks forward" --out $(DEMO_OUT) --overwrite
	@echo "demo: done. Open $(DEMO_OUT)/transfer.mp4 first (leader | output), then metrics.json;"
	@echo "demo: $(DEMO_OUT)/*.bvh open in Blender or Maya, $(DEMO_OUT)/config.json lists every setting."

test: setup-dev
	$(VENV)/bin/python -m pytest -q

lint: setup-dev
	$(VENV)/bin/ruff check src tests benchmarks
	$(VENV)/bin/ruff format --check src tests benchmarks
