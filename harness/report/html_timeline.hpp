#pragma once
// A testcase's timeline as SVG, from its transcript (the athil-transcript 1 format) and its
// current samples (CSV): the lanes a person reads a failure by, bounded in size whatever the
// files hold.
#include <filesystem>
#include <string>

namespace athil::report {

// An empty string when there is no transcript to draw.
std::string timeline_svg(const std::filesystem::path& transcript, const std::filesystem::path& current_csv);
// The transcript's last `lines` lines, for the page (the whole file is a link away).
std::string transcript_tail(const std::filesystem::path& transcript, std::size_t lines);

}  // namespace athil::report
