# The two commands a new machine needs: `make serve` and `make test`. Both set up .venv themselves.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install build serve test lint bench load clean browser virtuoso screenshots

install: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

build: install
	$(BIN)/reformkg build

serve: build
	$(BIN)/reformkg serve

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# Browser tests drive Debian's chromium. Install it where we can (root with apt); elsewhere those tests skip and say why.
browser:
	@test -x /usr/bin/chromium || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null && \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) || \
	  echo "chromium not installed: browser tests will be skipped"; }

# The remote-engine tests and benchmark start Debian's Virtuoso 7; installed the same way, else they skip and say why.
virtuoso:
	@command -v virtuoso-t >/dev/null || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null && \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq virtuoso-opensource >/dev/null) || \
	  echo "virtuoso-opensource not installed: Virtuoso tests will be skipped"; }

# The suite on two processes (one per core), then the tests of scheduling and time limits alone, since they measure
# what the cores give them. `pytest` alone runs everything in one process.
test: install browser virtuoso
	$(BIN)/ruff check .
	$(BIN)/python -m pytest -n 2 -m "not serial"
	$(BIN)/python -m pytest -m serial

bench: install virtuoso
	$(BIN)/python -m benchmarks.bench
	$(BIN)/python -m benchmarks.bench_serve
	$(BIN)/python -m benchmarks.bench_request_path
	$(BIN)/python -m benchmarks.bench_virtuoso
	$(BIN)/python -m benchmarks.bench_views
	$(BIN)/python -m benchmarks.bench_analytics
	$(BIN)/python -m benchmarks.bench_linear

load: install
	$(BIN)/python -m benchmarks.loadtest

# The README's screenshots (benchmarks/screenshots/*.png): the seed graph served on loopback, shot by headless chromium.
# Chinese needs a CJK font: installed where we can (root with apt).
screenshots: install browser
	@fc-list 2>/dev/null | grep -qiE "wenquanyi|noto sans cjk|noto serif cjk" || { [ "$$(id -u)" = 0 ] && \
	  command -v apt-get >/dev/null && (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
	  fonts-wqy-microhei >/dev/null) || echo "no CJK font installed: Chinese will show as boxes"; }
	$(BIN)/python -m benchmarks.screenshots

clean:
	rm -rf $(VENV) var
