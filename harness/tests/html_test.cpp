// The run's page (index.html) as a person opens it: rendered by Debian's headless Chromium, from
// a file:// URL, with no network. Its failing testcase is found from the top, opened, with its
// timeline drawn; it fits a phone's width and a desktop's (the default run's page size is checked
// in e2e_test.cpp, which makes that run anyway).
#include <doctest/doctest.h>

#include <fstream>
#include <regex>

#include <fmt/format.h>

#include "tests/support.hpp"

using namespace athil::test;
namespace fs = std::filesystem;

namespace {

const fs::path chromium = "/usr/bin/chromium";

// The page inside a frame `width` wide: what a script in the frame's parent reads of its layout
// and DOM, as attributes of the parent's body in the DOM Chromium prints.
std::string rendered(const TempDir& dir, const fs::path& page, int width) {
  auto probe = dir.write(fmt::format("probe-{}.html", width), fmt::format(R"(<!doctype html><html><body>
<iframe id="f" src="{}" style="width:{}px;height:900px;border:0"></iframe>
<script>
document.getElementById('f').onload = function () {{
  var d = this.contentDocument, b = document.body;
  b.setAttribute('data-scroll-width', d.documentElement.scrollWidth);
  b.setAttribute('data-failing', d.querySelectorAll('details.case.failed').length);
  b.setAttribute('data-failing-open', d.querySelectorAll('details.case.failed[open]').length);
  b.setAttribute('data-failing-timelines', d.querySelectorAll('details.case.failed svg.timeline rect.sent').length);
  b.setAttribute('data-current-lines', d.querySelectorAll('svg.timeline polyline.current').length);
  var links = d.querySelectorAll('#problems a'), found = 0;
  for (var i = 0; i < links.length; i++) if (d.getElementById(links[i].getAttribute('href').slice(1))) found++;
  b.setAttribute('data-problem-links', links.length + '/' + found);
  b.setAttribute('data-positive-tabindex', d.querySelectorAll('[tabindex]:not([tabindex="0"]):not([tabindex="-1"])').length);
  b.setAttribute('data-done', 'yes');
}};
</script></body></html>)",
                                                                          page.string(), width));
  auto r = run_process({chromium.string(), "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
                        "--user-data-dir=" + (dir.path() / "chromium").string(), "--disable-background-networking", "--disable-component-update",
                        "--disable-sync", "--host-resolver-rules=MAP * ~NOTFOUND", "--allow-file-access-from-files", "--disable-web-security",
                        "--virtual-time-budget=5000", "--dump-dom", "file://" + probe.string()},
                       dir.path());
  INFO(r.err);
  return r.out;
}

std::string attribute(const std::string& dom, const std::string& name) {
  std::smatch m;
  return std::regex_search(dom, m, std::regex(name + "=\"([^\"]*)\"")) ? std::string(m[1]) : "";
}

}  // namespace

TEST_CASE("the run's page in Chromium: the failing testcase is linked from the top and open with its timeline, and it fits 390 px and 1280 px") {
  if (!fs::exists(chromium)) {
    MESSAGE("skipped: no " << chromium << " (harness/setup.sh installs Debian's chromium)");
    return;
  }
  TempDir dir;
  auto rig = dir.write("rig.xml", R"(<rig name="page" time-scale="0.02">
  <slot name="ok" model="SIM7080G" firmware="1951B02SIM7080G" fota-target="1951B03SIM7080G"><virtual/><instrument spec="ppk2"/></slot>
  <slot name="bad" model="SIM7080G" firmware="1951B02SIM7080G" fota-target="1951B03SIM7080G"><virtual faults="fota-fail"/></slot>
</rig>
)");
  auto junit = dir.path() / "reports" / "junit.xml";
  auto r = run_process({athil_exe().string(), "run", "--rig", rig.string(), "--junit", junit.string(), "scenarios/fota/http-upgrade.xml",
                        "scenarios/power/boot-energy.xml", "scenarios/at/identity.xml"},
                       source_dir());
  INFO(r.out, r.err);
  REQUIRE(r.exit_code == 1);
  auto page = dir.path() / "reports" / "latest" / "index.html";
  REQUIRE(fs::exists(page));
  std::string html = read_file(page);
  CHECK_FALSE(std::regex_search(html, std::regex(R"((src|href)=["']?(https?:)?//)")));  // nothing from the network
  CHECK_FALSE(contains(html, "<script"));
  for (int width : {390, 1280}) {
    auto dom = rendered(dir, page, width);
    CAPTURE(width);
    REQUIRE(attribute(dom, "data-done") == "yes");
    CHECK(std::stoi(attribute(dom, "data-scroll-width")) <= width);  // nothing sticks out sideways
    CHECK(attribute(dom, "data-failing") == "1");
    CHECK(attribute(dom, "data-failing-open") == "1");
    CHECK(std::stoi(attribute(dom, "data-failing-timelines")) > 0);
    CHECK(attribute(dom, "data-current-lines") == "1");  // the boot's current, on the slot that measures
    CHECK(attribute(dom, "data-problem-links") == "1/1");
    CHECK(attribute(dom, "data-positive-tabindex") == "0");  // the keyboard's order is the page's
  }
  // The store's page: one run so far, its failure in red.
  std::string history = read_file(dir.path() / "reports" / "history.html");
  CHECK(contains(history, "One run so far"));
  CHECK(contains(history, "<rect class=\"failed\""));
  CHECK(contains(history, "<rect class=\"passed\""));

  auto shot = dir.path() / "page.png";
  auto s = run_process({chromium.string(), "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
                        "--user-data-dir=" + (dir.path() / "chromium").string(), "--host-resolver-rules=MAP * ~NOTFOUND", "--window-size=1280,1600",
                        "--screenshot=" + shot.string(), "file://" + page.string()},
                       dir.path());
  INFO(s.err);
  REQUIRE(fs::exists(shot));
  CHECK(fs::file_size(shot) > 20'000);  // drawn: a blank page is a few kB
}
