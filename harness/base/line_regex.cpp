#include "base/line_regex.hpp"

#include <optional>
#include <span>

#include "base/regex_program.hpp"
#include "base/regex_syntax.hpp"

namespace athil {

namespace {

using regex::ByteSet;
using regex::Node;

// One byte set repeated min to max times, greedily.
struct Item {
  ByteSet set;
  unsigned min = 1, max = 1;
};

// A capture group spans items [first, last): groups here neither nest nor repeat.
struct Group {
  std::size_t first, last;
};

// A pattern that is a sequence of items, some in groups.
struct Flat {
  std::vector<Item> items;
  std::vector<Group> groups;
};

constexpr std::size_t max_flat_items = 256;  // the backtracking recurses once an item

std::span<const Node> in_order(const Node& n) { return n.kind == Node::Kind::sequence ? std::span<const Node>(n.children) : std::span<const Node>(&n, 1); }

// The pattern's top-level nodes, without a leading ^ or a trailing $: over a whole line, they
// always hold.
std::span<const Node> unanchored(const regex::Syntax& s) {
  std::span<const Node> nodes = in_order(s.root);
  const auto is = [](const Node& n, regex::Assertion a) { return n.kind == Node::Kind::assertion && n.assertion == a; };
  if (!nodes.empty() && is(nodes.front(), regex::Assertion::line_start)) nodes = nodes.subspan(1);
  if (!nodes.empty() && is(nodes.back(), regex::Assertion::line_end)) nodes = nodes.first(nodes.size() - 1);
  return nodes;
}

bool add_item(const Node& n, Flat& out) {
  if (n.kind == Node::Kind::bytes) {
    out.items.push_back({.set = n.bytes});
    return true;
  }
  if (n.kind != Node::Kind::repeat || n.lazy || n.children.front().kind != Node::Kind::bytes) return false;
  out.items.push_back({.set = n.children.front().bytes, .min = n.min, .max = n.max});
  return true;
}

// The pattern as a Flat, when it is one.
std::optional<Flat> flat(const regex::Syntax& s) {
  Flat out;
  for (const Node& n : unanchored(s)) {
    if (n.kind == Node::Kind::group && n.group > 0) {
      const std::size_t first = out.items.size();
      for (const Node& inner : in_order(n.children.front()))
        if (!add_item(inner, out)) return std::nullopt;
      out.groups.push_back({first, out.items.size()});
    } else if (!add_item(n, out)) {
      return std::nullopt;
    }
    if (out.items.size() > max_flat_items) return std::nullopt;
  }
  return out;
}

// The byte sets every match starts with, one byte each: the pattern's plain beginning.
std::vector<ByteSet> lead(const regex::Syntax& s) {
  std::vector<ByteSet> out;
  for (const Node& n : unanchored(s)) {
    if (n.kind != Node::Kind::bytes) break;
    out.push_back(n.bytes);
  }
  return out;
}

// Depth-first, each item taking as many bytes as it can first: the order in which ECMAScript
// tries them, so the first whole-line match has its groups.
class Run {
 public:
  Run(const Flat& program, std::string_view line) : prog_(program), line_(line), spans_(program.groups.size()) {}

  // nullopt: gave up after its budget of steps (a pattern that backtracks on this line).
  std::optional<bool> match() {
    try {
      return from(0, 0);
    } catch (const GaveUp&) {
      return std::nullopt;
    }
  }

  void groups(std::vector<std::string>& out) const {
    out.clear();
    for (auto [begin, end] : spans_) out.emplace_back(line_.substr(begin, end - begin));
  }

 private:
  struct GaveUp {};

  bool from(std::size_t i, std::size_t at) {
    for (;; ++i) {
      if (++steps_ > budget_) throw GaveUp{};
      for (std::size_t g = 0; g < prog_.groups.size(); ++g) {
        if (prog_.groups[g].first == i) spans_[g].first = at;
        if (prog_.groups[g].last == i) spans_[g].second = at;
      }
      if (i == prog_.items.size()) return at == line_.size();
      const Item& item = prog_.items[i];
      std::size_t most = std::min<std::size_t>(item.max, line_.size() - at), n = 0;
      while (n < most && item.set[static_cast<unsigned char>(line_[at + n])]) ++n;
      if (n < item.min) return false;
      if (item.min == item.max) {  // nothing to go back to
        at += n;
        continue;
      }
      for (;; --n) {
        if (from(i + 1, at + n)) return true;
        if (n == item.min) return false;
      }
    }
  }

  const Flat& prog_;
  std::string_view line_;
  std::vector<std::pair<std::size_t, std::size_t>> spans_;
  std::size_t steps_ = 0;
  const std::size_t budget_ = 1024 + 16 * line_.size() * (prog_.items.size() + 1);
};

}  // namespace

struct LineRegex::Impl {
  regex::Program program;
  std::optional<Flat> flat;
  std::vector<ByteSet> lead;  // what every matching line starts with, a byte each
  std::size_t groups = 0;
};

LineRegex::LineRegex(const std::string& pattern) {
  const regex::Syntax syntax = regex::parse(pattern);
  impl_ = std::make_shared<const Impl>(Impl{.program = regex::Program(syntax), .flat = flat(syntax), .lead = lead(syntax), .groups = syntax.groups});
}

bool LineRegex::match(std::string_view line, std::vector<std::string>* groups) const {
  if (impl_->flat) {
    // Most lines a URC regex is tried on differ in their first bytes: no run for those. The
    // program below turns them away itself (its first bytes, its plain beginning).
    if (line.size() < impl_->lead.size()) return false;
    for (std::size_t i = 0; i < impl_->lead.size(); ++i)
      if (!impl_->lead[i][static_cast<unsigned char>(line[i])]) return false;
    Run run(*impl_->flat, line);
    if (auto matched = run.match()) {
      if (*matched && groups) run.groups(*groups);
      return *matched;
    }
  }
  return impl_->program.match(line, groups);
}

std::size_t LineRegex::group_count() const { return impl_->groups; }

bool LineRegex::fast() const { return impl_->flat.has_value(); }

std::string regex_literal(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (std::string_view("\\^$.*+?()[]{}|").find(c) != std::string_view::npos) out += '\\';
    out += c;
  }
  return out;
}

}  // namespace athil
