# Vigil — build, test, demo and benchmarks. Everything builds in one configuration (release with
# testing enabled) so `make test`, `make demo` and `make bench` share one build.
SWIFT       ?= swift
BUILD_FLAGS ?= -c release -Xswiftc -enable-testing
BIN         := .build/release/vigil
SAMPLE      := SampleLogs/logs
FUZZ_SECONDS ?= 300
LABELS      := SampleLogs/labels.csv

.PHONY: all build test unit cli sigma-oracle install demo cluster-demo bench bench-core bench-cluster bench-s3 fuzz sample deps clean help rebuild

all: build

help:
	@echo "make demo    install what is missing, build, replay SampleLogs and print explained alerts"
	@echo "make test    unit and integration tests (Swift Testing + CLI checks)"
	@echo "make build   build the vigil binary ($(BIN))"
	@echo "make cluster-demo  nats-server, one router and two workers on SampleLogs; prints the alerts from VIGIL_ALERTS"
	@echo "make bench   throughput, flood, memory, scoring core and tail latency against reference runs (see BENCHMARKS.md)"
	@echo "make bench-core  isolation core vs River HST and RCF on the outlier sets"
	@echo "make bench-s3    replay s3:// from a loopback S3 API against replay of the same objects on disk"
	@echo "make fuzz    libFuzzer harnesses, FUZZ_SECONDS each (default 300)"
	@echo "make sample  regenerate SampleLogs with 'vigil simulate'"
	@echo "make install PREFIX=/usr/local   binary, Models/ under PREFIX/share/vigil, shell completions"

# System libraries: libzstd and zlib headers (Debian: libzstd-dev, zlib1g-dev).
deps:
	@if ! pkg-config --exists libzstd 2>/dev/null || [ ! -f /usr/include/zlib.h ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "installing libzstd-dev zlib1g-dev pkg-config"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libzstd-dev zlib1g-dev pkg-config >/dev/null; \
	  else \
	    echo "missing libzstd-dev/zlib1g-dev: install them (e.g. sudo apt-get install libzstd-dev zlib1g-dev pkg-config)"; exit 1; \
	  fi; \
	fi

build: deps
	$(SWIFT) build $(BUILD_FLAGS) --product vigil

# Build tests and binary in one go (one build description), then run the tests without rebuilding.
unit: deps
	$(SWIFT) build $(BUILD_FLAGS) --build-tests
	$(SWIFT) test $(BUILD_FLAGS) --skip-build

cli: build
	bash Tests/cli/cli_test.sh $(BIN)
	python3 Tests/cli/tail_test.py $(BIN)
	python3 Tests/cli/merge_test.py $(BIN)
	python3 Tests/cli/responders_test.py $(BIN)
	python3 Tests/cli/ops_test.py $(BIN)
	python3 Tests/cli/cluster_test.py $(BIN)
	python3 Tests/cli/s3_test.py $(BIN)

test: unit cli sigma-oracle

# The binary, the models and rules it finds beside it (PREFIX/share/vigil/Models), the commit it
# was built from (for vigil --version) and bash/zsh/fish completions. DESTDIR for packaging.
PREFIX ?= /usr/local
install: build
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/vigil \
	  $(DESTDIR)$(PREFIX)/share/bash-completion/completions $(DESTDIR)$(PREFIX)/share/zsh/site-functions \
	  $(DESTDIR)$(PREFIX)/share/fish/vendor_completions.d
	install -m 755 $(BIN) $(DESTDIR)$(PREFIX)/bin/vigil
	rm -rf $(DESTDIR)$(PREFIX)/share/vigil/Models && cp -R Models $(DESTDIR)$(PREFIX)/share/vigil/Models
	git rev-parse --short=12 HEAD > $(DESTDIR)$(PREFIX)/share/vigil/COMMIT 2>/dev/null || echo unknown > $(DESTDIR)$(PREFIX)/share/vigil/COMMIT
	$(BIN) --generate-completion-script bash > $(DESTDIR)$(PREFIX)/share/bash-completion/completions/vigil
	$(BIN) --generate-completion-script zsh > $(DESTDIR)$(PREFIX)/share/zsh/site-functions/_vigil
	$(BIN) --generate-completion-script fish > $(DESTDIR)$(PREFIX)/share/fish/vendor_completions.d/vigil.fish
	@echo "installed $(DESTDIR)$(PREFIX)/bin/vigil ($$($(DESTDIR)$(PREFIX)/bin/vigil --version))"

# Sigma matches on the CloudTrail fixtures = pySigma's SQLite backend (skipped where pySigma is missing).
sigma-oracle: build
	bash Tests/sigma/oracle.sh $(BIN)

demo: build
	@echo "== Replaying $(SAMPLE): explained alerts =="
	$(BIN) replay --output text $(SAMPLE)
	@echo "== Evaluation against $(LABELS) =="
	$(BIN) eval --quiet --labels $(LABELS) $(SAMPLE)

# Scale-out: a JetStream server, `vigil route` and two `vigil worker`s on SampleLogs (stops what it starts).
cluster-demo: build
	bash Benchmarks/cluster_demo.sh $(BIN) $(SAMPLE)

# Throughput (1M generated CloudTrail lines, cached under .build/bench), the flood of new principals,
# memory per principal, the scoring core against River HST and RCF, and tail latency.
bench: build
	bash Benchmarks/bench.sh $(BIN)
	bash Benchmarks/bench_core.sh $(BIN)
	python3 Benchmarks/latency.py $(BIN)
	python3 Benchmarks/bench_cluster.py $(BIN)
	python3 Benchmarks/bench_s3.py $(BIN)

# Router and 1 or 2 workers through JetStream against one replay, and the kill -9 exactly-once run.
bench-cluster: build
	python3 Benchmarks/bench_cluster.py $(BIN)

# libFuzzer harnesses for framing/decoding and the CloudTrail parser (FUZZ_SECONDS each, default 300).
fuzz: deps
	FUZZ_SECONDS=$(FUZZ_SECONDS) bash Benchmarks/fuzz.sh

# The isolation core alone vs River HalfSpaceTrees and a random cut forest on the outlier sets.
# replay s3:// (a loopback S3 API over the 1M-line file as CloudTrail objects) against replay of the same objects on disk.
bench-s3: build
	python3 Benchmarks/bench_s3.py $(BIN)

bench-core: build
	bash Benchmarks/bench_core.sh $(BIN)

sample: build
	$(BIN) simulate --days 7 --principals 150 --seed 42 --cloud aws,gcp,azure --out SampleLogs

clean:
	rm -rf .build

# Rebuild Vigil's own modules from scratch but keep the dependencies' build (incremental builds of
# cross-module struct layout changes have produced stale code here).
rebuild:
	rm -rf .build/*/release/Vigil*.build .build/*/release/vigil.build .build/*/release/Modules/Vigil* \
	  .build/*/release/Modules/vigil* .build/*/release/description.json .build/*/release/vigil
	$(MAKE) build
