#include "base/error.hpp"

#include <algorithm>
#include <cstring>

#include <fmt/format.h>

namespace athil {

FileName::~FileName() {
  // The last holder sees every other holder's writes before it frees the name.
  if (held_ && held_->refs.fetch_sub(1, std::memory_order_acq_rel) == 1) delete held_;
}

const std::string& FileName::str() const {
  static const std::string none;
  return held_ ? held_->name : none;
}

std::string SourcePos::str() const {
  if (file.empty()) return "";
  if (line <= 0) return file;
  if (col <= 0) return fmt::format("{}:{}", file.str(), line);
  return fmt::format("{}:{}:{}", file.str(), line, col);
}

std::string Diagnostic::str() const { return pos.file.empty() ? fmt::format("error: {}", message) : fmt::format("{}: error: {}", pos.str(), message); }

namespace {
std::string summary(const std::vector<Diagnostic>& all) {
  const auto& d = all.front();
  std::string first = d.pos.file.empty() ? d.message : fmt::format("{}: {}", d.pos.str(), d.message);
  return all.size() == 1 ? first : fmt::format("{} (and {} more)", first, all.size() - 1);
}
}  // namespace

InputError::InputError(SourcePos pos, const std::string& message) : InputError(std::vector<Diagnostic>{{std::move(pos), message}}) {}
InputError::InputError(const std::string& message) : InputError(SourcePos{}, message) {}
InputError::InputError(std::vector<Diagnostic> all) : std::runtime_error(summary(all)), all_(std::move(all)) {}

void Diagnostics::add(const std::vector<Diagnostic>& found) {
  for (const auto& d : found) {
    // The same mistake met again (a fixture used many times) is the same mistake.
    bool seen = std::any_of(all_.begin(), all_.end(), [&](const Diagnostic& k) { return k.message == d.message && k.pos.str() == d.pos.str(); });
    if (seen) continue;
    if (all_.size() < max_kept)
      all_.push_back(d);
    else
      ++dropped_;
  }
}

void Diagnostics::throw_if_any() const {
  if (all_.empty()) return;
  if (dropped_ == 0) throw InputError(all_);
  auto kept = all_;
  kept.push_back(Diagnostic{SourcePos{}, fmt::format("... and {} more error(s) not shown", dropped_)});
  throw InputError(kept);
}

std::string InputError::diagnostic() const {
  std::string out;
  for (const auto& d : all_) out += (out.empty() ? "" : "\n") + d.str();
  return out;
}

std::string did_you_mean(std::string_view word, const std::vector<std::string>& candidates) {
  auto distance = [](std::string_view a, std::string_view b) {
    std::vector<std::size_t> row(b.size() + 1);
    for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
    for (std::size_t i = 1; i <= a.size(); ++i) {
      std::size_t diagonal = row[0];
      row[0] = i;
      for (std::size_t j = 1; j <= b.size(); ++j) {
        std::size_t up = row[j];
        bool same = std::tolower(static_cast<unsigned char>(a[i - 1])) == std::tolower(static_cast<unsigned char>(b[j - 1]));
        row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (same ? 0 : 1)});
        diagonal = up;
      }
    }
    return row[b.size()];
  };
  std::size_t best = std::max<std::size_t>(2, word.size() / 3) + 1;
  const std::string* choice = nullptr;
  for (const auto& c : candidates) {
    auto d = distance(word, c);
    if (d < best) {
      best = d;
      choice = &c;
    }
  }
  return choice ? fmt::format(" (did you mean '{}'?)", *choice) : "";
}

std::string errno_text(int err) { return fmt::format("{} ({})", std::strerror(err), err); }

}  // namespace athil
