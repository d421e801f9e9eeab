// Encoding, decoding and blocking fd I/O for the framed stdio protocol.
#include "lumos/protocol/frame.hpp"

#include <malloc.h>

#include <poll.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace lumos::protocol {
namespace {

void put_u32(std::string& out, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}
void put_u64(std::string& out, std::uint64_t v) {
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}
std::uint64_t get_le(std::string_view bytes, std::size_t at, int width) {
  std::uint64_t v = 0;
  for (int i = 0; i < width; ++i) {
    v |= static_cast<std::uint64_t>(static_cast<unsigned char>(bytes[at + i])) << (8 * i);
  }
  return v;
}

// Reads exactly n bytes; returns the count read before EOF, or an error.
Result<std::size_t> read_exact(int fd, char* buf, std::size_t n,
                               std::optional<std::chrono::steady_clock::time_point> deadline) {
  std::size_t got = 0;
  while (got < n) {
    if (deadline) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(*deadline - std::chrono::steady_clock::now());
      if (left.count() < 0) return fail(ErrorCode::kTimeout, "no response before the deadline");
      pollfd p{fd, POLLIN, 0};
      int r = ::poll(&p, 1, static_cast<int>(left.count()) + 1);
      if (r < 0 && errno == EINTR) continue;
      if (r < 0) return fail(ErrorCode::kIo, std::string("poll: ") + std::strerror(errno));
      if (r == 0) continue;  // loop re-checks the deadline
    }
    ssize_t r = ::read(fd, buf + got, n - got);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) return fail(ErrorCode::kIo, std::string("read: ") + std::strerror(errno));
    if (r == 0) break;
    got += static_cast<std::size_t>(r);
  }
  return got;
}

}  // namespace

std::string_view exec_mode_name(ExecMode mode) {
  switch (mode) {
    case ExecMode::kNative:
      return "native";
    case ExecMode::kInterpreter:
      return "interpreter";
    case ExecMode::kAot:
      return "aot";
    case ExecMode::kAotUnverified:
      return "aot-unverified";
    case ExecMode::kNone:
      return "none";
    case ExecMode::kUnknown:
      break;
  }
  return "unknown";
}

std::optional<std::uint64_t> Frame::metric(std::string_view name) const {
  for (const auto& [k, v] : metrics) {
    if (k == name) return v;
  }
  return std::nullopt;
}

std::string encode_message(std::string_view payload) {
  std::string out;
  out.reserve(payload.size() + 4);
  put_u32(out, static_cast<std::uint32_t>(payload.size()));
  out.append(payload);
  return out;
}

std::string encode_baas_envelope(std::string_view input_key, std::string_view output_key) {
  std::string out(kBaasMagic);
  for (auto key : {input_key, output_key}) {
    out.push_back(static_cast<char>(key.size() & 0xff));
    out.push_back(static_cast<char>((key.size() >> 8) & 0xff));
    out.append(key);
  }
  return out;
}

std::string encode_frame(const Frame& frame) {
  std::string payload;
  payload.push_back(static_cast<char>(frame.kind));
  payload.push_back(static_cast<char>(frame.metrics.size()));
  for (const auto& [name, value] : frame.metrics) {
    payload.push_back(static_cast<char>(name.size()));
    payload.append(name);
    put_u64(payload, value);
  }
  payload.append(frame.body);
  return encode_message(payload);
}

Result<Frame> decode_frame(std::string_view p) {
  if (p.size() < 2) return fail(ErrorCode::kProtocol, "response frame shorter than its header");
  Frame f;
  auto kind = static_cast<unsigned char>(p[0]);
  if (kind > 2) return fail(ErrorCode::kProtocol, "unknown response kind " + std::to_string(kind));
  f.kind = static_cast<FrameKind>(kind);
  std::size_t n = static_cast<unsigned char>(p[1]);
  std::size_t at = 2;
  for (std::size_t i = 0; i < n; ++i) {
    if (at >= p.size()) return fail(ErrorCode::kProtocol, "truncated metric list");
    std::size_t len = static_cast<unsigned char>(p[at++]);
    if (at + len + 8 > p.size()) return fail(ErrorCode::kProtocol, "truncated metric entry");
    std::string name(p.substr(at, len));
    at += len;
    f.metrics.emplace_back(std::move(name), get_le(p, at, 8));
    at += 8;
  }
  f.body.assign(p.substr(at));
  return f;
}

void keep_message_buffers_on_heap() {
  mallopt(M_MMAP_THRESHOLD, 32 << 20);
  mallopt(M_TRIM_THRESHOLD, 128 << 20);
}

Result<std::string> read_message(int fd, std::optional<std::chrono::steady_clock::time_point> deadline) {
  char header[4];
  auto got = read_exact(fd, header, 4, deadline);
  if (!got) return tl::unexpected(got.error());
  if (*got < 4) return fail(ErrorCode::kCrashed, "instance closed its output (exited)");
  auto len = static_cast<std::uint32_t>(get_le(std::string_view(header, 4), 0, 4));
  if (len > kMaxMessageBytes) {
    return fail(ErrorCode::kProtocol, "message length " + std::to_string(len) + " exceeds limit");
  }
  std::string payload(len, '\0');
  got = read_exact(fd, payload.data(), len, deadline);
  if (!got) return tl::unexpected(got.error());
  if (*got < len) return fail(ErrorCode::kCrashed, "instance exited in the middle of a message");
  return payload;
}

}  // namespace lumos::protocol
