// Frame codec: round trips, malformed frames, and the fd reader's EOF and timeout behaviour.
#include <gtest/gtest.h>
#include <unistd.h>

#include "lumos/protocol/frame.hpp"

using namespace lumos;
using namespace lumos::protocol;

TEST(Frame, EncodeDecodeRoundTripKeepsKindMetricsAndBody) {
  Frame f;
  f.kind = FrameKind::kOk;
  f.metrics = {{"compute", 1234567890123ull}, {"@exec_mode", 2}};
  f.body = std::string("out\0put", 7);
  std::string msg = encode_frame(f);
  ASSERT_GE(msg.size(), 4u);
  std::uint32_t len = static_cast<unsigned char>(msg[0]) | static_cast<unsigned char>(msg[1]) << 8;
  EXPECT_EQ(len, msg.size() - 4);
  auto back = decode_frame(std::string_view(msg).substr(4));
  ASSERT_TRUE(back) << back.error().to_string();
  EXPECT_EQ(back->kind, FrameKind::kOk);
  ASSERT_EQ(back->metrics.size(), 2u);
  EXPECT_EQ(back->metrics[0].first, "compute");
  EXPECT_EQ(back->metric("compute"), 1234567890123ull);
  EXPECT_EQ(back->metric("@exec_mode"), 2u);
  EXPECT_FALSE(back->metric("missing"));
  EXPECT_EQ(back->body, std::string("out\0put", 7));
}

TEST(Frame, DecodeRejectsTruncatedAndUnknownFrames) {
  EXPECT_FALSE(decode_frame(""));
  EXPECT_FALSE(decode_frame(std::string("\x07\x00", 2)));  // unknown kind
  std::string msg = encode_frame(Frame{FrameKind::kReady, {{"load", 5}}, ""});
  auto payload = std::string_view(msg).substr(4);
  for (std::size_t cut = 2; cut < payload.size(); ++cut) {
    EXPECT_FALSE(decode_frame(payload.substr(0, cut))) << "accepted a frame cut at " << cut;
  }
  auto err = decode_frame(std::string("\x01\x01\x05", 3));
  ASSERT_FALSE(err);
  EXPECT_EQ(err.error().code, ErrorCode::kProtocol);
}

TEST(Frame, ReadMessageReturnsPayloadThenCrashedAtEof) {
  int p[2];
  ASSERT_EQ(pipe(p), 0);
  ASSERT_TRUE(write_all(p[1], encode_message("hello")));
  ASSERT_TRUE(write_all(p[1], std::string("\x09\x00\x00\x00"
                                          "abc",
                                          7)));  // cut short
  close(p[1]);
  auto first = read_message(p[0]);
  ASSERT_TRUE(first);
  EXPECT_EQ(*first, "hello");
  auto second = read_message(p[0]);
  ASSERT_FALSE(second);
  EXPECT_EQ(second.error().code, ErrorCode::kCrashed);
  close(p[0]);
}

TEST(Frame, ReadMessageTimesOutWhenNothingArrives) {
  int p[2];
  ASSERT_EQ(pipe(p), 0);
  auto r = read_message(p[0], std::chrono::steady_clock::now() + std::chrono::milliseconds(20));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kTimeout);
  close(p[0]);
  close(p[1]);
}

TEST(Frame, ReadMessageRejectsAbsurdLengths) {
  int p[2];
  ASSERT_EQ(pipe(p), 0);
  ASSERT_TRUE(write_all(p[1], std::string("\xff\xff\xff\xff", 4)));
  auto r = read_message(p[0]);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kProtocol);
  close(p[0]);
  close(p[1]);
}

TEST(Frame, ExecModeNamesAreTheResultsVocabulary) {
  EXPECT_EQ(exec_mode_name(ExecMode::kNative), "native");
  EXPECT_EQ(exec_mode_name(ExecMode::kInterpreter), "interpreter");
  EXPECT_EQ(exec_mode_name(ExecMode::kAot), "aot");
  EXPECT_EQ(exec_mode_name(ExecMode::kUnknown), "unknown");
}
