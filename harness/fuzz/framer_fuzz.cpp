// libFuzzer target: any bytes as a module's output, through the framer and the engine.
// Checked: the frames do not depend on how the stream is chunked; no frame outgrows its
// bound; the engine sorts any stream without crashing, and every byte reaches the timeline.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "at/dialect.hpp"
#include "at/engine.hpp"
#include "at/framer.hpp"

namespace {

// Hands out the stream in the chunks it was cut into, then nothing.
class ChunkedTransport final : public athil::Transport {
 public:
  explicit ChunkedTransport(std::vector<std::string> chunks) : chunks_(std::move(chunks)) {}
  std::string read_some(athil::Deadline) override { return next_ < chunks_.size() ? chunks_[next_++] : std::string(); }
  void write_all(std::string_view, athil::Deadline) override {}
  std::string describe() const override { return "fuzz"; }

 private:
  std::vector<std::string> chunks_;
  std::size_t next_ = 0;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) return 0;
  // The first byte picks the dialect and the chunk sizes; the rest is the stream.
  const unsigned seed = data[0];
  const std::string stream(reinterpret_cast<const char*>(data + 1), size - 1);
  const auto dialect = athil::Dialect::sim70x0(seed & 1 ? "SIM7000G" : "SIM7080G");

  athil::LineFramer whole_framer(dialect.payloads);
  std::vector<athil::Frame> whole;
  whole_framer.feed(stream, whole);

  std::vector<std::string> chunks;
  athil::LineFramer chunked_framer(dialect.payloads);
  std::vector<athil::Frame> pieces;
  for (std::size_t at = 0, i = 0; at < stream.size(); ++i) {
    std::size_t n = 1 + (seed >> 1) % 7 + (stream[i % stream.size()] & 0x0f);
    chunks.push_back(stream.substr(at, n));
    chunked_framer.feed(chunks.back(), pieces);
    at += n;
  }
  if (pieces != whole) std::abort();
  for (const auto& f : whole)
    if (f.text.empty() || f.text.size() > 2 * athil::LineFramer::max_line_bytes) std::abort();

  athil::Timeline timeline;
  ChunkedTransport transport(chunks);
  athil::AtEngine engine(transport, timeline, dialect);
  engine.send_command("AT+CSQ", athil::Clock::now());
  engine.drain_until(athil::Clock::now());
  engine.send_command("AT+CFSRFILE=3,\"a\",0,10,0", athil::Clock::now());
  engine.expect_response([](const std::string& l) { return l == "OK"; }, athil::Clock::now());
  engine.clear_urcs();
  std::string received;
  for (const auto& e : timeline.events())
    if (e.dir == athil::Direction::from_module) received += e.data;
  if (received != stream) std::abort();
  return 0;
}
