// placeholder until its owner lands it: `lumos images` says it is not available yet.
#include <cstdio>

#include "subcommands.hpp"

namespace lumos::cli {

Subcommand add_images_command(CLI::App& parent) {
  Subcommand sub;
  sub.app = parent.add_subcommand("images", "(not available in this build yet)");
  sub.run = [] {
    std::fprintf(stderr, "lumos: 'images' is not available in this build yet\n");
    return 1;
  };
  return sub;
}

}  // namespace lumos::cli
