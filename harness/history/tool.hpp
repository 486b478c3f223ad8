#pragma once
// `athil history`, `athil history import` and `athil diff`: the store read for people and CI.
// Exit codes as `athil run`'s: 0 fine, 1 regressed (diff), 2 bad input, 3 infrastructure.
#include <filesystem>
#include <string>
#include <vector>

#include "history/analysis.hpp"

namespace athil::history {

struct HistoryOptions {
  std::filesystem::path reports = "reports";
  Filter filter;
  Group group = Group::slot;
};
int history_tool(const HistoryOptions& options);

int import_tool(const std::filesystem::path& reports, const std::filesystem::path& from);

struct DiffOptions {
  std::filesystem::path reports = "reports";
  std::vector<std::string> runs;       // none or two
  std::vector<std::string> revisions;  // none or two
  std::string threshold = "20%";
  std::filesystem::path out;  // the Markdown also goes here (a merge request's comment)
  Filter filter;              // which scenarios and slots are compared (its `last` aside)
};
int diff_tool(const DiffOptions& options);

}  // namespace athil::history
