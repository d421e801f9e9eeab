// The `lumos` command line: subcommands build, run, summary, version. main() only calls run().
#pragma once

namespace lumos::cli {

/// Exit codes: 0 success; 1 failure (bad experiment file, unwritable results, ...);
/// 2 usage error; 3 the run completed but some invocations failed (see the results).
int run(int argc, char** argv);

}  // namespace lumos::cli
