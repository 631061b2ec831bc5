# aigcmark — see README.md. Two commands matter: `make demo` and `make test`.

GO        ?= go
BIN       := bin/aigcmark
FUZZTIME  ?= 30s
PRODUCER  ?= 001191110108MA01KP2T5U10000
# Sample folders the demo labels (fixtures/bad holds deliberately corrupt files).
DEMO_IN   := $(filter-out fixtures/bad fixtures/gen,$(patsubst %/,%,$(wildcard fixtures/*/)))

.PHONY: all build demo test deps vet fuzz bench bench-watermark bench-faceswap clean

all: build

build:
	$(GO) build -o $(BIN) ./cmd/aigcmark

# Label every bundled sample into ./out/ and show what inspect finds there.
demo: build
	rm -rf out
	@set -e; for d in $(DEMO_IN); do \
	  echo "\$$ aigcmark label --producer $(PRODUCER) --out out/$$(basename $$d) $$d"; \
	  $(BIN) label --producer $(PRODUCER) --out out/$$(basename $$d) $$d; \
	done
	@echo "\$$ aigcmark inspect out"
	@$(BIN) inspect out

# Install the independent tools the tests check our output with, then vet and test.
test: deps vet
	AIGCMARK_REQUIRE_TOOLS=1 $(GO) test -timeout 20m ./...

deps:
	@.ci/install-tools

vet:
	$(GO) vet ./...

# Run every fuzz target for FUZZTIME each.
fuzz:
	@set -e; for pkg in $$($(GO) list ./...); do \
	  for t in $$($(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz' || true); do \
	    echo "== $$pkg $$t ($(FUZZTIME))"; \
	    $(GO) test $$pkg -run '^$$' -fuzz "^$$t$$" -fuzztime $(FUZZTIME) -fuzzminimizetime 5s; \
	  done; \
	done

# Measure labeling throughput and memory against cp and exiftool; writes docs/BENCHMARKS.md.
bench: deps build
	$(GO) run ./cmd/internal/benchreport -bin $(BIN) -out docs/BENCHMARKS.md

# Run the watermark attack suite on photographs from Debian packages; writes its
# section of docs/BENCHMARKS.md.
bench-watermark:
	@.ci/install-photos
	$(GO) run ./cmd/internal/wmbench -out docs/BENCHMARKS.md

# Build the face-swap evaluation set from public-domain portraits shipped by
# Debian packages and measure detect/faceswap on its TEST split; writes its
# section of docs/BENCHMARKS.md. Refit the model on TRAIN with
# `go run ./cmd/internal/fsbench -train -model detect/faceswap/modelweights.go`.
bench-faceswap: deps
	@.ci/install-faces
	$(GO) run ./cmd/internal/fsbench -out docs/BENCHMARKS.md

clean:
	rm -rf bin out

# Load-test `aigcmark serve` (not part of `make test`): 32 clients POST a
# 1 MB labeled JPEG to /v1/verify for 60 s on loopback; prints requests/s,
# p50/p99 latency, errors and the server's RSS over time.
.PHONY: loadtest
loadtest: build
	$(GO) run ./cmd/internal/loadtest -bin $(BIN) -clients 32 -duration 60s
