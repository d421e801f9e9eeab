// lumos: the benchmarking tool's entry point; all logic lives in the cli library.
#include "lumos/cli/driver.hpp"

int main(int argc, char** argv) { return lumos::cli::run(argc, argv); }
