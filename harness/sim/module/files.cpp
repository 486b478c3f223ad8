// The file system: AT+CFSINIT/CFSTERM, writes with DOWNLOAD and raw bytes, reads, sizes, deletes.
#include "sim/module/common.hpp"

#include <algorithm>

#include <fmt/format.h>

namespace athil::sim {

void VirtualModule::file_bytes(std::string_view bytes) {
  file_write_.data.append(bytes);
  if (file_write_.data.size() < file_write_.size) return;
  file_write_.active = false;
  auto& file = files_[file_write_.path];
  if (file_write_.append)
    file += file_write_.data;
  else
    file = std::move(file_write_.data);
  ok();
}

void VirtualModule::cmd_cfsinit(const Invocation&) {
  if (cfs_ready_) return error();  // the buffer is already taken
  cfs_ready_ = true;
  ok();
}

void VirtualModule::cmd_cfsterm(const Invocation&) {
  cfs_ready_ = false;
  ok();
}

namespace {

// "<index>,"<name>",..." to the file's path; nothing for a folder index or name the module refuses.
std::optional<std::string> file_path(const std::vector<std::string>& a) {
  if (a.size() < 2) return std::nullopt;
  auto dir = to_int(a[0]);
  if (!dir || *dir > 3 || a[1].empty() || a[1].find('/') != std::string::npos) return std::nullopt;
  return std::string(fs_dirs[*dir]) + a[1];
}

}  // namespace

void VirtualModule::cmd_cfsgfis(const Invocation& c) {
  auto path = file_path(split_args(c.args));
  auto file = path ? files_.find(*path) : files_.end();
  if (file == files_.end()) return error();
  reply({fmt::format("+CFSGFIS: {}", file->second.size())});
}

void VirtualModule::cmd_cfsdfile(const Invocation& c) {
  auto path = file_path(split_args(c.args));
  auto file = path ? files_.find(*path) : files_.end();
  if (file == files_.end()) return error();
  files_.erase(file);
  ok();
}

void VirtualModule::cmd_cfswfile(const Invocation& c) {
  // AT+CFSWFILE=<index>,"<name>",<mode 0|1>,<size 1..10240>,<input time ms 1..10000>
  auto a = split_args(c.args);
  auto path = file_path(a);
  if (!path || a.size() != 5 || !cfs_ready_) return error();
  auto mode = to_int(a[2]), size = to_int(a[3]), input_ms = to_int(a[4]);
  if (!mode || *mode > 1 || !size || *size < 1 || *size > static_cast<int>(max_file_chunk) || !input_ms || *input_ms < 1 || *input_ms > 10000) return error();
  file_write_ = FileWrite{.active = true, .path = *path, .append = *mode == 1, .size = static_cast<std::size_t>(*size), .id = file_write_.id + 1};
  emit("\r\nDOWNLOAD\r\n");  // a line, which hosts read with their line readers
  auto id = file_write_.id;
  later(Millis(*input_ms), [this, id] {
    if (!file_write_.active || file_write_.id != id) return;
    file_write_.active = false;  // the host was too slow: nothing is written
    error();
  });
}

void VirtualModule::cmd_cfsrfile(const Invocation& c) {
  // AT+CFSRFILE=<index>,"<name>",<mode 0 from the start|1 from position>,<size 1..10240>,<position>
  // -> +CFSRFILE: <bytes read>, then the bytes raw, then OK.
  auto a = split_args(c.args);
  auto path = file_path(a);
  if (!path || !cfs_ready_ || a.size() != 5) return error();
  auto file = files_.find(*path);
  auto mode = to_int(a[2]), size = to_int(a[3]), position = to_int(a[4]);
  if (file == files_.end() || !mode || *mode > 1 || !size || *size < 1 || *size > static_cast<int>(max_file_chunk) || !position) return error();
  std::size_t from = *mode == 1 ? static_cast<std::size_t>(*position) : 0;
  if (from > file->second.size()) return error();
  std::string data = file->second.substr(from, static_cast<std::size_t>(*size));
  emit(fmt::format("\r\n+CFSRFILE: {}\r\n", data.size()) + data + "\r\n");
  ok();
}

}  // namespace athil::sim
