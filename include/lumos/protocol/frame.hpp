// The framed stdio protocol between lumos and a function instance (native, container or wasm host).
//
// Every message is a little-endian u32 byte count followed by that many bytes.
//   request  (lumos -> instance): the payload is the function's input bytes, unchanged.
//   response (instance -> lumos): u8 kind, u8 n, n x (u8 name_len, name, u64 value), body.
// An instance writes one kReady frame when it is ready to serve, then one kOk or kError frame
// per request, and exits when its stdin reaches end of file. Metric names without a prefix
// are phases in nanoseconds ("compute", "deserialize", ...); names starting with '@' are
// attributes (see kAttr* below). functions/sdk/lumos_sdk.c writes the same encoding in C.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "lumos/common/io.hpp"
#include "lumos/common/result.hpp"

namespace lumos::protocol {

enum class FrameKind : std::uint8_t { kOk = 0, kError = 1, kReady = 2 };

/// What executed the function's code; sent as the "@exec_mode" attribute.
/// kAotUnverified: an AoT module ran where lumos cannot ask the engine which mode it used
/// (crun's embedded WasmEdge); the runtime's fallback check times it instead.
enum class ExecMode : std::uint8_t {
  kNative = 0,
  kInterpreter = 1,
  kAot = 2,
  kAotUnverified = 3,
  kNone = 4,
  kUnknown = 255
};

/// "native", "interpreter", "aot", "aot-unverified" or "unknown", as written in results.
std::string_view exec_mode_name(ExecMode mode);

/// CLOCK_MONOTONIC ns when the instance's main() began (ready frame).
inline constexpr std::string_view kAttrMainAt = "@main_at_ns";
/// ExecMode value of the code that produced this frame.
inline constexpr std::string_view kAttrExecMode = "@exec_mode";
/// Wasm instructions the interpreter counted during this request (wasm host, AoT check).
inline constexpr std::string_view kAttrInstructions = "@instructions";

/// BaaS mode: bytes the function fetched from / stored to the key-value store.
inline constexpr std::string_view kAttrBaasBytesIn = "@baas_bytes_in";
inline constexpr std::string_view kAttrBaasBytesOut = "@baas_bytes_out";

/// The first bytes of a BaaS envelope request: then u16 LE key length + key of the input
/// object, u16 LE key length + key to store the output under (see functions/sdk/lumos_sdk.c).
inline constexpr std::string_view kBaasMagic{"\0LUMOSKV", 8};

/// Builds a BaaS envelope request.
std::string encode_baas_envelope(std::string_view input_key, std::string_view output_key);

/// Largest message either side accepts (guards against garbage length prefixes).
inline constexpr std::uint32_t kMaxMessageBytes = 256u << 20;

struct Frame {
  FrameKind kind = FrameKind::kOk;
  std::vector<std::pair<std::string, std::uint64_t>> metrics;  ///< in wire order
  std::string body;  ///< output bytes (kOk), error message (kError), free text (kReady)

  /// The value of a metric, if present.
  std::optional<std::uint64_t> metric(std::string_view name) const;
};

/// Prefixes a payload with its u32 length.
std::string encode_message(std::string_view payload);

/// Encodes a response frame as a complete message (length prefix included).
std::string encode_frame(const Frame& frame);

/// Decodes a response frame from a message payload (length prefix removed).
Result<Frame> decode_frame(std::string_view payload);

/// common's write_all, for the protocol's callers.
using ::lumos::write_all;

/// Both ends of the protocol copy messages of up to megabytes per request. glibc serves such
/// blocks with a fresh mmap and unmaps them on free, so each copy paid a page fault per 4 KiB
/// (measured: 56 of 82 ms e2e for a 2.8 MB response on wasmedge-aot, 4 ms with this). Keeps
/// blocks up to 32 MiB (glibc's maximum) on the heap and the heap untrimmed below 128 MiB.
/// Call once at the start of a process that serves or sends many messages.
void keep_message_buffers_on_heap();

/// Reads one message (length prefix + payload) from fd. With a deadline, waits no longer
/// than that and fails with kTimeout. End of file before a full message fails with kCrashed.
Result<std::string> read_message(int fd, std::optional<std::chrono::steady_clock::time_point> deadline = std::nullopt);

}  // namespace lumos::protocol
