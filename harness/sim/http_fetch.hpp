#pragma once
// The virtual module's HTTP client (AT+HTTPTOFS, AT+SH*): one request over TCP with
// Boost.Beast, whose headers stay in http_fetch.cpp.
#include <functional>

#include "sim/module.hpp"

namespace boost::asio {
class io_context;
}

namespace athil::sim {

// Starts the request on `io`; `done` is called once, from `io`'s thread, with what came of it.
void start_fetch(boost::asio::io_context& io, HttpRequest request, std::function<void(HttpResult)> done);

}  // namespace athil::sim
