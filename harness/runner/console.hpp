#pragma once
// What a person watching the run sees. On a terminal: one live line per slot (scenario, step,
// elapsed), repainted in place, with events printed above them. Otherwise (a CI log, a pipe):
// one line per event. Colour on a terminal unless NO_COLOR is set.
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace athil::runner {

enum class Tone { plain, good, bad, warn, dim };

class Console {
 public:
  struct Mode {
    bool live = false;
    bool colour = false;
  };
  // From the output's nature and the environment (NO_COLOR).
  static Mode detect(std::FILE* out);

  Console(std::FILE* out, Mode mode);
  ~Console();
  Console(const Console&) = delete;
  Console& operator=(const Console&) = delete;

  // A line of its own, kept in the scroll-back.
  void event(const std::string& text, Tone tone = Tone::plain);
  // A slot's live line, with the time elapsed since `since` after it; an empty text leaves
  // the slot out of the live block.
  void status(const std::string& slot, const std::string& text, std::chrono::steady_clock::time_point since = std::chrono::steady_clock::now());
  // Stops repainting and removes the live block; later events print as plain lines.
  void finish();

  std::string paint(const std::string& text, Tone tone) const;
  bool live() const { return mode_.live; }

 private:
  struct SlotLine {
    std::string slot, text;
    std::chrono::steady_clock::time_point since;
  };
  void erase_block();  // with mutex_ held
  void draw_block();   // with mutex_ held
  void painter();

  std::FILE* out_;
  Mode mode_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::vector<SlotLine> lines_;
  std::size_t drawn_ = 0;  // lines of the live block on screen now
  std::thread painter_;
};

}  // namespace athil::runner
