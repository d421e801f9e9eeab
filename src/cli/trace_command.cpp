// placeholder until its owner lands it: `lumos trace` says it is not available yet.
#include <cstdio>

#include "subcommands.hpp"

namespace lumos::cli {

Subcommand add_trace_command(CLI::App& parent) {
  Subcommand sub;
  sub.app = parent.add_subcommand("trace", "(not available in this build yet)");
  sub.run = [] {
    std::fprintf(stderr, "lumos: 'trace' is not available in this build yet\n");
    return 1;
  };
  return sub;
}

}  // namespace lumos::cli
