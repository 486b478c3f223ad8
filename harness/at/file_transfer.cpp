#include "at/file_transfer.hpp"

#include <algorithm>
#include <array>
#include <utility>

namespace athil {

namespace {

std::string chunk_command(std::string command, std::size_t offset, std::size_t length) {
  std::array<std::pair<std::string_view, std::string>, 3> fields = {
      {{"{mode}", offset == 0 ? "0" : "1"}, {"{length}", std::to_string(length)}, {"{offset}", std::to_string(offset)}}};
  for (const auto& [key, value] : fields)
    for (auto at = command.find(key); at != std::string::npos; at = command.find(key, at + value.size())) command.replace(at, key.size(), value);
  return command;
}

// The prompt line, or why it did not come.
TransferResult::Stop await_prompt(AtEngine& engine, const FileTransfer& how, const std::function<Deadline(Duration)>& bounded, std::string& line) {
  auto r = engine.expect_response([&](const std::string& l) { return l == how.prompt; }, bounded(how.answer_timeout));
  if (r.kind == AtEngine::ExpectResult::Kind::matched) return TransferResult::Stop::done;
  line = r.line.text;
  return r.kind == AtEngine::ExpectResult::Kind::timeout ? TransferResult::Stop::no_prompt : TransferResult::Stop::ended_before_prompt;
}

}  // namespace

TransferResult send_file(AtEngine& engine, std::string_view data, const FileTransfer& how, const std::function<Deadline(Duration)>& bounded) {
  TransferResult result;
  std::size_t chunk = how.chunk ? how.chunk : std::max<std::size_t>(data.size(), 1);
  if (how.command.empty()) {
    result.length = data.size();
    if ((result.stop = await_prompt(engine, how, bounded, result.line)) != TransferResult::Stop::done) return result;
    for (std::size_t offset = 0; offset < data.size(); offset += chunk) engine.send_raw(data.substr(offset, chunk), Clock::now() + how.write_timeout);
    result.sent = data.size();
    return result;
  }
  for (std::size_t offset = 0; offset < data.size(); offset += chunk) {
    result.offset = offset;
    result.length = std::min(chunk, data.size() - offset);
    engine.send_command(chunk_command(how.command, offset, result.length), Clock::now() + how.write_timeout);
    if ((result.stop = await_prompt(engine, how, bounded, result.line)) != TransferResult::Stop::done) return result;
    engine.send_raw(data.substr(offset, result.length), Clock::now() + how.write_timeout);
    auto ok = engine.expect_response([](const std::string& l) { return l == "OK"; }, bounded(how.answer_timeout));
    if (ok.kind != AtEngine::ExpectResult::Kind::matched) {
      result.stop = ok.kind == AtEngine::ExpectResult::Kind::timeout ? TransferResult::Stop::chunk_unanswered : TransferResult::Stop::chunk_refused;
      result.line = ok.line.text;
      return result;
    }
    result.sent = offset + result.length;
  }
  return result;
}

}  // namespace athil
