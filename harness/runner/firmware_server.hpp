#pragma once
// Serves a folder (fixtures/firmware) over HTTP on loopback, for virtual modules to download
// firmware deltas with AT+HTTPTOFS. Boost.Beast stays inside firmware_server.cpp.
#include <filesystem>
#include <memory>
#include <string>

namespace athil::runner {

class FirmwareServer {
 public:
  // Listens on 127.0.0.1 on a free port; serves GET and HEAD for regular files under root, and
  // answers a POST, PUT or PATCH to /echo with its own body (for the HTTP scenarios).
  explicit FirmwareServer(std::filesystem::path root);
  ~FirmwareServer();
  FirmwareServer(const FirmwareServer&) = delete;
  FirmwareServer& operator=(const FirmwareServer&) = delete;

  std::string url() const;  // http://127.0.0.1:PORT, without a trailing slash
  unsigned short port() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace athil::runner
