# The two commands of the README: `make demo` and `make test`. Everything else is a step of those.
BUILD_DIR ?= build
JOBS ?= 2
LUMOS := $(BUILD_DIR)/lumos
RESULTS ?= results/quick-demo

.PHONY: setup configure build functions demo test bench clean

# Installs Debian packages and the private WasmEdge root; seconds when already done.
setup:
	@if [ "$$(id -u)" -ne 0 ]; then sudo scripts/setup; else scripts/setup; fi

configure: setup
	@cmake -S . -B $(BUILD_DIR) -DCMAKE_BUILD_TYPE=Release -DLUMOS_WERROR=$(if $(CI),ON,OFF) >/dev/null

build: configure
	@cmake --build $(BUILD_DIR) -j$(JOBS)

functions: build
	@$(LUMOS) build

# Runs experiments/quick.yaml and its load part quick-load.yaml (a fresh results folder each
# time), prints their summaries, and writes the HTML report (with the image sizes and the
# fitted model) beside the results.
demo: functions
	@rm -rf $(RESULTS)
	@$(LUMOS) run experiments/quick.yaml --out $(RESULTS)
	@$(LUMOS) run experiments/quick-load.yaml --out $(RESULTS)/load
	@$(LUMOS) images hello fibonacci --json $(RESULTS)/images.json >/dev/null
	@$(LUMOS) report $(RESULTS) $(RESULTS)/load --images $(RESULTS)/images.json -o $(RESULTS)/report.html

test: functions
	@cd $(BUILD_DIR) && ctest --output-on-failure -j1

# Overhead figures against the bare tools (runc run, wasmedge CLI), side by side; then drift made
# on purpose (a CPU hog from halfway), interleaved against sequential.
bench: functions
	@bench/overhead.sh
	@bench/drift.sh

clean:
	rm -rf $(BUILD_DIR)
