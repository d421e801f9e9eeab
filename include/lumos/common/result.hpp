// One error type and one Result<T> alias for every lumos module (no exceptions across modules).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include <tl/expected.hpp>

namespace lumos {

/// Error categories; the table in error.cpp gives each a stable name for results and logs.
enum class ErrorCode {
  kUsage,           ///< bad flag or argument (exit code 2)
  kConfig,          ///< experiment or function file is malformed
  kIo,              ///< a file or pipe could not be read or written
  kNotInstalled,    ///< a runtime, compiler or tool is missing (run scripts/setup)
  kBuild,           ///< compiling an artifact failed
  kSpawn,           ///< a process or sandbox could not be started
  kProtocol,        ///< an instance sent a malformed frame
  kTimeout,         ///< an invocation exceeded its timeout
  kCrashed,         ///< the instance exited or was killed while serving a request
  kFunctionError,   ///< the function reported an error or trapped
  kOutputMismatch,  ///< the output differs from the expected output
  kWrongExecMode,   ///< the code ran in another mode than asked (e.g. AoT fell back to interpreter)
  kInternal,
};

/// Stable lower-case name of an error code, e.g. "timeout".
std::string_view error_code_name(ErrorCode code);
/// The code whose error_code_name() is `name`; nullopt for any other string.
std::optional<ErrorCode> error_code_from_name(std::string_view name);

struct Error {
  ErrorCode code = ErrorCode::kInternal;
  std::string message;  ///< says what happened and, for user errors, how to fix it

  /// "timeout: ..." as written into results and printed by the CLI.
  std::string to_string() const;
};

template <typename T>
using Result = tl::expected<T, Error>;

/// Shorthand for returning an error from a function returning Result<T>.
inline tl::unexpected<Error> fail(ErrorCode code, std::string message) {
  return tl::unexpected<Error>(Error{code, std::move(message)});
}

}  // namespace lumos
