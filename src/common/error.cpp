// The error table: one stable name per ErrorCode.
#include "lumos/common/result.hpp"

namespace lumos {

std::string_view error_code_name(ErrorCode code) {
  switch (code) {
    case ErrorCode::kUsage:
      return "usage";
    case ErrorCode::kConfig:
      return "config";
    case ErrorCode::kIo:
      return "io";
    case ErrorCode::kNotInstalled:
      return "not_installed";
    case ErrorCode::kBuild:
      return "build";
    case ErrorCode::kSpawn:
      return "spawn";
    case ErrorCode::kProtocol:
      return "protocol";
    case ErrorCode::kTimeout:
      return "timeout";
    case ErrorCode::kCrashed:
      return "crashed";
    case ErrorCode::kFunctionError:
      return "function_error";
    case ErrorCode::kOutputMismatch:
      return "output_mismatch";
    case ErrorCode::kWrongExecMode:
      return "wrong_exec_mode";
    case ErrorCode::kInternal:
      return "internal";
  }
  return "internal";
}

std::optional<ErrorCode> error_code_from_name(std::string_view name) {
  for (int c = 0; c <= static_cast<int>(ErrorCode::kInternal); ++c) {
    if (error_code_name(static_cast<ErrorCode>(c)) == name) return static_cast<ErrorCode>(c);
  }
  return std::nullopt;
}

std::string Error::to_string() const {
  std::string out(error_code_name(code));
  out += ": ";
  out += message;
  return out;
}

}  // namespace lumos
