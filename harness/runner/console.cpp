#include "runner/console.hpp"

#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>

#include <fmt/format.h>

namespace athil::runner {

namespace {
constexpr auto repaint_every = std::chrono::milliseconds(250);
}

Console::Mode Console::detect(std::FILE* out) {
  Mode m;
  bool terminal = ::isatty(::fileno(out)) == 1;
  const char* term = std::getenv("TERM");
  bool dumb = term && std::string_view(term) == "dumb";
  m.live = terminal && !dumb;
  const char* no_colour = std::getenv("NO_COLOR");  // no-color.org: set and not empty
  m.colour = terminal && !dumb && !(no_colour && *no_colour);
  return m;
}

Console::Console(std::FILE* out, Mode mode) : out_(out), mode_(mode) {
  if (mode_.live) painter_ = std::thread([this] { painter(); });
}

Console::~Console() { finish(); }

void Console::finish() {
  {
    std::lock_guard lock(mutex_);
    if (stopping_) return;
    stopping_ = true;
    erase_block();
    lines_.clear();
    std::fflush(out_);
  }
  wake_.notify_all();
  if (painter_.joinable()) painter_.join();
}

std::string Console::paint(const std::string& text, Tone tone) const {
  if (!mode_.colour || tone == Tone::plain) return text;
  const char* code = tone == Tone::good ? "32" : tone == Tone::bad ? "1;31" : tone == Tone::warn ? "33" : "2";
  return fmt::format("\x1b[{}m{}\x1b[0m", code, text);
}

void Console::event(const std::string& text, Tone tone) {
  std::lock_guard lock(mutex_);
  erase_block();
  fmt::print(out_, "{}\n", paint(text, tone));
  draw_block();
  std::fflush(out_);
}

void Console::status(const std::string& slot, const std::string& text, std::chrono::steady_clock::time_point since) {
  if (!mode_.live) return;
  std::lock_guard lock(mutex_);
  if (stopping_) return;
  auto it = std::find_if(lines_.begin(), lines_.end(), [&](const SlotLine& l) { return l.slot == slot; });
  if (text.empty()) {
    if (it != lines_.end()) lines_.erase(it);
  } else if (it == lines_.end()) {
    lines_.push_back({slot, text, since});
  } else {
    it->text = text;
    it->since = since;
  }
}

void Console::erase_block() {
  if (drawn_ == 0) return;
  // Up to the block's first line, then clear to the end of the screen.
  fmt::print(out_, "\r\x1b[{}A\x1b[J", drawn_);
  drawn_ = 0;
}

void Console::draw_block() {
  if (!mode_.live || stopping_) return;
  auto now = std::chrono::steady_clock::now();
  winsize ws{};
  std::size_t width = ::ioctl(::fileno(out_), TIOCGWINSZ, &ws) == 0 && ws.ws_col >= 20 ? ws.ws_col : 80;
  for (const auto& l : lines_) {
    double elapsed = std::chrono::duration<double>(now - l.since).count();
    std::string line = fmt::format("{:<8} {}  {:.1f} s", l.slot, l.text, elapsed);
    // One screen line each, or the cursor arithmetic breaks.
    if (line.size() >= width) line = line.substr(0, width - 4) + "...";
    fmt::print(out_, "{}\n", paint(line, Tone::dim));
  }
  drawn_ = lines_.size();
}

void Console::painter() {
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    wake_.wait_for(lock, repaint_every);
    if (stopping_) break;
    erase_block();
    draw_block();
    std::fflush(out_);
  }
}

}  // namespace athil::runner
