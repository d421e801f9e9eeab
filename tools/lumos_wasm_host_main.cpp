// lumos-wasm-host entry point: all logic lives in src/host/wasm_host.cpp.
#include "wasm_host.hpp"

int main(int argc, char** argv) { return lumos::host::run_wasm_host(argc, argv); }
