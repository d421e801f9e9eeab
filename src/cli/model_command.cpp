// placeholder until its owner lands it: `lumos model` says it is not available yet.
#include <cstdio>

#include "subcommands.hpp"

namespace lumos::cli {

Subcommand add_model_command(CLI::App& parent) {
  Subcommand sub;
  sub.app = parent.add_subcommand("model", "(not available in this build yet)");
  sub.run = [] {
    std::fprintf(stderr, "lumos: 'model' is not available in this build yet\n");
    return 1;
  };
  return sub;
}

}  // namespace lumos::cli
