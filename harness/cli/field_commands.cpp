#include <fstream>
#include <iostream>

#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include "base/error.hpp"
#include "base/escape.hpp"
#include "cli/commands.hpp"
#include "field/log_text.hpp"
#include "field/record.hpp"
#include "field/replay.hpp"
#include "field/scaffold.hpp"
#include "runner/run.hpp"

namespace athil::cli {

namespace fs = std::filesystem;

namespace {

const char* const formats_help =
    "the log's shape: auto (chosen from the text), athil, raw, markers, espidf, zephyr-chat, zephyr-hexdump, esp-modem, modemmanager, pppd, python or "
    "rt-thread-at";

// What the import recognised, then its notes with line numbers (the first of them: a day's log
// can have thousands).
void print_notes(const std::string& log, const field::Session& session) {
  fmt::print(stderr, "{}: {}\n", terminal_text(log), terminal_lines(field::describe_detection(session)));
  constexpr std::size_t notes_shown = 50;
  for (std::size_t i = 0; i < session.problems.size() && i < notes_shown; ++i) {
    const auto& p = session.problems[i];
    fmt::print(stderr, "{}:{}: note: {}{}\n", terminal_text(log), p.line, terminal_text(p.why),
               p.text.empty() ? "" : fmt::format(": '{}'", escape_bytes(p.text)));
  }
  if (auto more = session.problems.size() + session.problems_not_kept; more > notes_shown)
    fmt::print(stderr, "{}: ... and {} more note(s)\n", terminal_text(log), more - notes_shown);
}

// athil import and athil scaffold: the log read once, written as a transcript or a scenario.
int field_tool(const std::string& log, const std::string& lines, const std::string& format, const std::string& transcript_out, const std::string& scenario_out,
               std::string name, const std::string& models, bool force) {
  std::string out_path = scenario_out.empty() ? transcript_out : scenario_out;
  if (!out_path.empty() && !force && fs::exists(out_path)) {
    fmt::print(stderr, "error: {} exists (--force replaces it)\n", terminal_text(out_path));
    return runner::bad_input;
  }
  std::error_code ec;
  if (auto parent = fs::path(out_path).parent_path(); !parent.empty()) fs::create_directories(parent, ec);  // scenarios/field/ on first use
  // A transcript is written as the log is read: nothing of a long log is held.
  std::ofstream file;
  std::ostream* out = &std::cout;
  if (!out_path.empty()) {
    file.open(out_path, std::ios::binary | std::ios::trunc);
    if (!file) {
      fmt::print(stderr, "error: cannot write {}\n", terminal_text(out_path));
      return runner::infrastructure;
    }
    out = &file;
  }
  std::optional<field::TranscriptWriter> transcript;
  field::ImportOptions options{.keep_notes = scenario_out.empty()};
  if (scenario_out.empty()) {
    transcript.emplace(*out);
    options.sink = [&transcript](const field::SessionEvent& e) { (*transcript)(e); };
  }
  auto refuse = [&](const std::string& why) {
    file.close();
    if (!out_path.empty()) fs::remove(out_path, ec);  // no half a file where a scenario or transcript should be
    fmt::print(stderr, "error: {}: {}\n", terminal_text(log), terminal_text(why));
    return runner::bad_input;
  };
  field::Session session;
  try {
    session = field::import_log(field::read_log_file(log, lines), field::parse_log_format(format), std::move(options));
  } catch (const InputError& e) {
    return refuse(fmt::format("cannot import: {}", e.what()));
  }
  print_notes(log, session);
  if (!scenario_out.empty()) {
    if (name.empty()) name = "field-" + fs::path(scenario_out).stem().string();
    try {
      *out << field::scaffold(std::move(session), {name, log, models});
    } catch (const InputError& e) {
      return refuse(e.what());
    }
  }
  if (!out->flush()) {
    fmt::print(stderr, "error: cannot write {}\n", terminal_text(out_path.empty() ? std::string("standard output") : out_path));
    return runner::infrastructure;
  }
  if (!out_path.empty()) fmt::print(stderr, "{}: wrote {}\n", terminal_text(log), terminal_text(out_path));
  return 0;
}

// import, scaffold, replay, record.
struct FieldGroup final : CommandGroup {
  explicit FieldGroup(CLI::App& app);
  std::optional<int> run() const override;

  CLI::App* import_cmd = nullptr;
  CLI::App* scaffold_cmd = nullptr;
  std::string log, format = "auto", lines, import_out, scaffold_out, scaffold_name, scaffold_models;
  bool scaffold_force = false;

  CLI::App* replay_cmd = nullptr;
  field::ReplayOptions replay_options;
  std::string replay_format = "auto";

  CLI::App* record_cmd = nullptr;
  field::RecordOptions record_options;
  std::string record_flow = "none";
  bool record_force = false;

  void add_import_and_scaffold(CLI::App& app);
  void add_replay(CLI::App& app);
  void add_record(CLI::App& app);
  int run_record() const;
};

}  // namespace

void FieldGroup::add_import_and_scaffold(CLI::App& app) {
  import_cmd = app.add_subcommand("import", "read a module log (any shape athil knows) and write it as an athil transcript");
  import_cmd->add_option("log", log, "the log")->required();
  import_cmd->add_option("--format", format, formats_help)->capture_default_str();
  import_cmd->add_option("--lines", lines, "only lines FIRST-LAST of the log (the part around the failure)");
  import_cmd->add_option("-o,--output", import_out, "transcript file to write (default: standard output)");
  scaffold_cmd = app.add_subcommand("scaffold", "write a scenario from a log that passes against `athil replay` of it");
  scaffold_cmd->add_option("log", log, "the log")->required();
  scaffold_cmd->add_option("--format", format, formats_help)->capture_default_str();
  scaffold_cmd->add_option("--lines", lines, "only lines FIRST-LAST of the log (a long log's part around the failure; replay takes the same)");
  scaffold_cmd->add_option("-o,--output", scaffold_out, "scenario file to write, such as scenarios/field/NAME.xml")->required();
  scaffold_cmd->add_option("--name", scaffold_name, "the scenario's name (default: field- and the file's name)");
  scaffold_cmd->add_option("--models", scaffold_models, "models the scenario lists (default: the model the log shows, else all four)");
  scaffold_cmd->add_flag("--force", scaffold_force, "replace an existing file");
}

void FieldGroup::add_replay(CLI::App& app) {
  auto& r = replay_options;
  replay_cmd = app.add_subcommand("replay", "serve a recorded session as a module on a pseudo-terminal, reporting every divergence");
  replay_cmd->add_option("log", r.log, "the log")->required();
  replay_cmd->add_option("--format", replay_format, formats_help)->capture_default_str();
  replay_cmd->add_option("--lines", r.lines, "only lines FIRST-LAST of the log, as scaffold --lines took them");
  replay_cmd->add_option("--link", r.link, "symlink to create to the pty");
  replay_cmd->add_option("--time-scale", r.time_scale, "factor on the recorded delays (1 = as recorded)")->capture_default_str();
  replay_cmd->add_option("--vary", r.vary, "a regex for a part of a command that may differ from the log (repeatable)")->allow_extra_args(false);
  replay_cmd->add_option("--report", r.report, "file to append the divergences to (they go to standard error too)");
  replay_cmd->add_option("--exit-with-parent", r.parent_pid, "end when process PID (the runner that started it) ends");
}

void FieldGroup::add_record(CLI::App& app) {
  auto& r = record_options;
  record_cmd = app.add_subcommand("record", "a transparent tap: a pty for a host program, the module's port behind it, every byte recorded with its time");
  record_cmd->add_option("--port", r.port, "the module's port: a device, socket://HOST:PORT, or a virtual module's link")->required();
  record_cmd->add_option("--baud", r.baud, "line rate of a serial port")->capture_default_str();
  record_cmd->add_option("--flow", record_flow, "none or rtscts")->check(CLI::IsMember({"none", "rtscts"}))->capture_default_str();
  record_cmd->add_option("--link", r.link, "symlink to create to the pty the host program opens")->required();
  record_cmd->add_option("--out", r.out, "the transcript to write")->required();
  record_cmd->add_flag("--force", record_force, "replace an existing transcript");
  auto* control = record_cmd->add_option("--control", r.control, "record STATUS and NETLIGHT edges from a virtual module's control channel (its LINK.ctl)");
  auto* rig = record_cmd->add_option("--rig", r.rig, "record the pin edges of a real slot of this rig (with --slot)");
  record_cmd->add_option("--slot", r.slot, "the rig slot whose GPIO lines to watch")->needs(rig);
  rig->excludes(control);
}

int FieldGroup::run_record() const {
  if (!record_force && fs::exists(record_options.out)) {
    fmt::print(stderr, "error: {} exists (--force replaces it)\n", terminal_text(record_options.out));
    return runner::bad_input;
  }
  auto options = record_options;
  options.rtscts = record_flow == "rtscts";
  return field::run_record(options);
}

FieldGroup::FieldGroup(CLI::App& app) {
  add_import_and_scaffold(app);
  add_replay(app);
  add_record(app);
}

std::optional<int> FieldGroup::run() const {
  if (import_cmd->parsed() || scaffold_cmd->parsed())
    return field_tool(log, lines, format, import_cmd->parsed() ? import_out : "", scaffold_cmd->parsed() ? scaffold_out : "", scaffold_name, scaffold_models,
                      scaffold_force);
  if (record_cmd->parsed()) return run_record();
  if (replay_cmd->parsed()) {
    auto options = replay_options;
    options.format = field::parse_log_format(replay_format);
    return field::run_replay(options);
  }
  return std::nullopt;
}

std::unique_ptr<CommandGroup> field_commands(CLI::App& app) { return std::make_unique<FieldGroup>(app); }

}  // namespace athil::cli
