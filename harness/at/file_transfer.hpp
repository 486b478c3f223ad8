#pragma once
// A file written to the module as its file commands take it: each chunk announced by a
// command (AT+CFSWFILE=3,"fw.bin",{mode},{length},10000), then the module's prompt line
// (DOWNLOAD), the bytes, and OK. With no command, one prompt (a command sent before asked for
// it), then every byte.
#include <cstddef>
#include <functional>
#include <string>
#include <string_view>

#include "at/engine.hpp"

namespace athil {

struct FileTransfer {
  // {mode} (0 for the first chunk, 1 to append), {length} and {offset} are filled in per chunk.
  std::string command;
  std::string prompt;
  std::size_t chunk = 0;  // 0: the whole file at once
  Duration write_timeout{};
  Duration answer_timeout{};  // for each prompt and each OK
};

struct TransferResult {
  enum class Stop { done, no_prompt, ended_before_prompt, chunk_unanswered, chunk_refused };
  Stop stop = Stop::done;
  std::size_t sent = 0;    // bytes the module took
  std::size_t offset = 0;  // where the chunk it stopped at begins
  std::size_t length = 0;
  std::string line;  // the final result that ended it, for a refusal
};

// `bounded` cuts each wait's deadline by the caller's own bounds.
TransferResult send_file(AtEngine& engine, std::string_view data, const FileTransfer& how, const std::function<Deadline(Duration)>& bounded);

}  // namespace athil
