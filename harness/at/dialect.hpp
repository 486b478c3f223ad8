#pragma once
// What the engine must know of a model's AT dialect: the lines it sends unasked (URCs) and
// the responses that carry raw bytes. Tables per model; a scenario may declare more URCs.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "at/framer.hpp"
#include "base/line_regex.hpp"

namespace athil {

class UrcTable {
 public:
  void add_line(std::string line) { lines_.push_back(std::move(line)); }
  void add_prefix(std::string prefix);
  // Matched over the whole line. Throws std::regex_error for a pattern that does not compile.
  void add_regex(const std::string& pattern) { regexes_.emplace_back(pattern); }
  bool matches(std::string_view line) const;
  bool empty() const { return lines_.empty() && prefixes_.empty() && regexes_.empty(); }

 private:
  // A prefix with its first four bytes as a number: every line is tried against every prefix,
  // and most differ there.
  struct Prefix {
    std::uint32_t head = 0, mask = 0;
    std::string text;
  };
  std::vector<std::string> lines_;
  std::vector<Prefix> prefixes_;
  std::vector<LineRegex> regexes_;
};

// A command that ends with a line of its own instead of OK (SIM7000's AT+CIPSHUT: SHUT OK).
struct CommandEnd {
  std::string command;  // its response prefix: "+CIPSHUT"
  LineRegex line;       // matched over the whole line
};

struct Dialect {
  UrcTable urcs;
  std::vector<PayloadRule> payloads;
  std::vector<CommandEnd> command_ends;

  // Whether `line` ends the command whose response prefix is `command`, as OK would.
  bool ends_command(std::string_view command, std::string_view line) const;

  // The SIM70x0 family: SIM7000 (with its older IP stack's URCs) or SIM7070/7080/7090.
  static Dialect sim70x0(std::string_view model);
};

// The percentage of a firmware update under way, from the updater's `+CFOTA: "Updating",N`.
std::optional<int> update_percent(std::string_view line);

}  // namespace athil
