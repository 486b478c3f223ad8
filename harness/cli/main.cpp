// athil: the command line. Each subcommand hands over to the component that does the work;
// their options are in the command groups (commands.hpp).
#include <filesystem>

#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include "base/error.hpp"
#include "base/heap.hpp"
#include "cli/commands.hpp"
#include "runner/run.hpp"

namespace fs = std::filesystem;

namespace {

athil::cli::Invocation invocation(int argc, char** argv) {
  std::error_code ec;
  auto exe = fs::read_symlink("/proc/self/exe", ec);
  athil::cli::Invocation out{.executable = ec ? fs::absolute(argv[0]) : exe};
  for (int i = 1; i < argc; ++i) out.command_line += fmt::format("{}{}", i > 1 ? " " : "", argv[i]);
  return out;
}

// The exit code of an error that ended a subcommand, after saying what it was.
int reported(const char* what, int code) {
  fmt::print(stderr, "error: {}\n", what);
  return code;
}

}  // namespace

int main(int argc, char** argv) {
  athil::keep_one_heap();
  CLI::App app{"athil: hardware-in-the-loop tests for SIMCom SIM70x0 modules"};
  app.require_subcommand(1);
  namespace cli = athil::cli;
  app.footer(cli::exit_codes);
  std::unique_ptr<cli::CommandGroup> groups[] = {cli::run_commands(app, invocation(argc, argv)), cli::module_commands(app), cli::field_commands(app),
                                                 cli::meter_commands(app), cli::history_commands(app)};

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);
    return athil::runner::bad_input;
  }

  try {
    for (const auto& group : groups)
      if (auto code = group->run()) return *code;
  } catch (const CLI::ValidationError& e) {
    return reported(e.what(), athil::runner::bad_input);
  } catch (const athil::InputError& e) {
    return reported(e.what(), athil::runner::bad_input);
  } catch (const athil::InfraError& e) {
    return reported(e.what(), athil::runner::infrastructure);
  } catch (const std::exception& e) {
    return reported(e.what(), athil::runner::infrastructure);
  }
  return 0;
}
