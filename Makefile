# The two commands: `make dev` runs the platform, `make test` runs every test.
# Each sets up .venv on a fresh machine first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

# axe-core, which the browser suite runs inside Chromium (version pinned in tests/browser/package.json).
AXE := tests/browser/node_modules/axe-core/axe.min.js

.PHONY: dev test prerequisites install unit integration e2e browser bench clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

install: $(STAMP)

dev: $(STAMP)
	$(BIN)/alumnet dev

# Without npm the browser suite skips on a developer's machine (and fails under CI=true).
$(AXE): tests/browser/package.json tests/browser/package-lock.json
	@if command -v npm >/dev/null 2>&1 || [ "$$CI" = true ]; then \
		npm ci --prefix tests/browser --no-audit --no-fund && touch $(AXE); \
	else echo "make: npm is missing, so the browser suite will be skipped (apt-get install npm)"; fi

# RabbitMQ, nginx, Chromium and npm: installed when this machine can, else the command to.
prerequisites:
	@tests/prerequisites.sh

# The first lines of a recipe that needs RabbitMQ: the run's own node (tests/session_broker.py:
# private name, ports and data, stopped when the recipe's shell exits); without root, the broker
# at AMQP_URL.
START_BROKER = broker=$$(mktemp -d /tmp/alumnet-$@-broker.XXXXXX); \
	$(BIN)/python -m tests.session_broker $$broker & node=$$!; \
	trap 'kill $$node 2>/dev/null; wait $$node 2>/dev/null; rm -rf $$broker' EXIT; \
	for i in $$(seq 600); do [ -f $$broker/env ] || ! kill -0 $$node 2>/dev/null && break; sleep 0.2; done; \
	if [ -f $$broker/env ]; then . $$broker/env; \
	elif [ "$$CI" = true ]; then echo "make $@: the run's RabbitMQ node did not start"; exit 1; fi

# Two runs side by side, each with its own RabbitMQ node: unit, contract and deploy spread over
# both cores (pytest-xdist, at a lower priority); browser, e2e and integration one at a time
# (they share the broker's fixed queue names and mostly wait). See tests/run_all.sh.
test: prerequisites $(STAMP) $(AXE)
	@BIN=$(BIN) tests/run_all.sh

unit: $(STAMP)
	$(BIN)/python -m pytest tests/unit tests/contract

integration: $(STAMP)
	$(BIN)/python -m pytest tests/integration

e2e: $(STAMP)
	$(BIN)/python -m pytest tests/e2e

browser: $(STAMP) $(AXE)
	$(BIN)/python -m pytest tests/browser

# Every bench in its short mode and the budgets' counts (bench/run.py, under 10 minutes on 2
# cores): bench/results/latest.{json,md,png}. BENCH_ARGS="--only bus" runs some of them.
# RabbitMQ and nginx (the portal bench) are installed first when missing and this machine can.
bench: $(STAMP)
	@tests/prerequisites.sh bench
	@$(START_BROKER); \
	$(BIN)/python bench/run.py $(BENCH_ARGS)

clean:
	rm -rf $(VENV) .dev .pytest_cache .hypothesis .test-artifacts tests/browser/node_modules
