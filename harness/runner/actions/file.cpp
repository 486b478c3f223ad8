// <send-file>: a fixture file written to the module through its file commands.
#include <fmt/format.h>

#include "at/file_transfer.hpp"
#include "base/file.hpp"
#include "runner/actions/step.hpp"

namespace athil::runner {

namespace {

std::string read_fixture(const Step& step, const std::string& rel) {
  if (rel.empty() || rel[0] == '/' || rel.find("..") != std::string::npos)
    throw InputError(step.pos, fmt::format("path '{}' must lie inside the fixtures folder", rel));
  auto path = step.fixtures / rel;
  auto data = read_file(path);
  if (!data) throw InputError(step.pos, fmt::format("cannot read {}", path.string()));
  return std::move(*data);
}

// Why the transfer stopped, as the scenario's failure.
StepFailure stopped(const Step& step, const scenario::SendFile& a, const TransferResult& r, Duration timeout, const std::string& rel) {
  using Stop = TransferResult::Stop;
  auto text = step.text();
  if (r.stop == Stop::no_prompt || r.stop == Stop::ended_before_prompt) {
    std::string after = a.command.empty() ? "before the file" : fmt::format("for bytes {}..{}", r.offset, r.offset + r.length);
    std::string got =
        r.stop == Stop::no_prompt ? fmt::format("no prompt within {}", format_duration(timeout)) : fmt::format("the command ended with {}", show_line(r.line));
    return text.failure(fmt::format("expected the prompt '{}' {}: {}", a.prompt, after, got), "the prompt " + a.prompt, got);
  }
  std::string got = r.stop == Stop::chunk_unanswered ? fmt::format("nothing within {}", format_duration(timeout)) : show_line(r.line);
  return text.failure(fmt::format("the module did not take bytes {}..{} of {}: {}", r.offset, r.offset + r.length, rel, got), "OK after the chunk", got);
}

}  // namespace

void perform(const scenario::SendFile& a, Step& step) {
  std::string rel = step.sub(a.path);
  std::string data = read_fixture(step, rel);
  FileTransfer how{.command = step.sub(a.command),
                   .prompt = a.prompt,
                   .chunk = a.chunk,
                   .write_timeout = write_timeout,
                   .answer_timeout = step.timeout_or(a.timeout, default_expect_timeout)};
  auto r = send_file(step.engine(), data, how, [&](Duration t) { return step.deadline(t); });
  if (r.stop != TransferResult::Stop::done) throw stopped(step, a, r, how.answer_timeout, rel);
  step.vars().set("sent", std::to_string(r.sent));
  step.device.timeline.record(Direction::note, fmt::format("sent {} bytes of {}", r.sent, rel));
}

}  // namespace athil::runner
