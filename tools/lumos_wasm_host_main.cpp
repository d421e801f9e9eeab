// lumos-wasm-host entry point: all logic lives in src/host/wasm_host.cpp.
#include "../src/host/wasm_host.hpp"  // src/ is not on the include path of this target

int main(int argc, char** argv) { return lumos::host::run_wasm_host(argc, argv); }
