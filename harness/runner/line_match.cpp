#include "runner/line_match.hpp"

#include <map>

#include <fmt/format.h>

#include "base/line_regex.hpp"

namespace athil::runner {

// A regex is slow to build; patterns with ${variables} are as many as the values they took,
// so the cache is bounded.
struct LineMatchers::Cache {
  static constexpr std::size_t max_cached = 1000;
  std::map<std::string, std::shared_ptr<const LineRegex>> compiled;
  std::map<std::string, std::shared_ptr<const LineRegex>>::const_iterator last = compiled.end();  // asked again, most often
  std::shared_ptr<const LineRegex> get(const std::string& pattern) {
    if (last != compiled.end() && last->first == pattern) return last->second;
    if (auto it = compiled.find(pattern); it != compiled.end()) return (last = it)->second;
    if (compiled.size() >= max_cached) compiled.clear();
    return (last = compiled.emplace(pattern, std::make_shared<const LineRegex>(pattern)).first)->second;
  }
};

LineMatchers::LineMatchers() : cache_(std::make_unique<Cache>()) {}
LineMatchers::~LineMatchers() = default;

LineMatch LineMatchers::make(const scenario::LinePattern& p, const Variables& vars, const SourcePos& pos, std::vector<std::string>* groups) {
  if (!p.regex) {
    // The scenario's own line, which outlives the test: held by reference, no copy to allocate.
    if (p.text.find("${") == std::string::npos) return {.test = [&wanted = p.text](const std::string& line) { return line == wanted; }, .text = p.text};
    std::string text = vars.substitute(p.text, pos);
    return {.test = [text](const std::string& line) { return line == text; }, .text = std::move(text)};
  }
  // A captured "1.2" or "(x)" is text to match, not a pattern.
  std::string pattern = vars.substitute(p.text, pos, regex_literal);
  auto compiled = cache_->get(pattern);
  // Two pointers: small enough for std::function to hold without allocating.
  return {.test = [re = compiled.get(), groups](const std::string& line) { return re->match(line, groups); },
          .text = std::move(pattern),
          .regex = true,
          .compiled = std::move(compiled)};
}

std::string LineMatch::wanted() const { return regex ? fmt::format("a line matching /{}/", text) : fmt::format("the line '{}'", text); }

void capture(const scenario::LinePattern& p, const std::vector<std::string>& groups, Variables& vars) {
  for (std::size_t i = 0; i < p.captures().size() && i < groups.size(); ++i) vars.capture(p.captures()[i], groups[i]);
}

}  // namespace athil::runner
