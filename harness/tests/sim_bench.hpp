#pragma once
// A virtual module driven directly, on a clock the test controls: what it writes to its UART,
// its pin changes and its HTTP requests are collected. Shared by the sim tests and the
// fidelity check.
#include <string>
#include <utility>
#include <vector>

#include "sim/module.hpp"

namespace athil::test {

using namespace std::chrono_literals;

struct SimBench {
  std::string uart;
  std::vector<std::pair<sim::Pin, sim::Level>> pins;
  std::vector<sim::Time> pin_times;  // when each of `pins` happened
  std::vector<sim::HttpRequest> http;
  std::vector<sim::MqttRequest> mqtt;  // what the module asked of its broker, answered by the test
  std::vector<sim::SocketRequest> sockets;
  std::vector<std::string> unmodelled;  // what the module said it does not model
  std::vector<std::string> unknown;     // what it said the real module does not know either
  sim::Time now = sim::Time(1000s);
  sim::VirtualModule module;

  explicit SimBench(const char* model = "SIM7080G", const char* firmware = nullptr, sim::Faults faults = {})
      : module(*sim::find_model(model), firmware ? firmware : std::string(sim::find_model(model)->default_firmware), 1.0,
               sim::VirtualModule::Outputs{.uart = [this](std::string_view b) { uart += b; },
                                           .pin =
                                               [this](sim::Pin p, sim::Level l, sim::Time t) {
                                                 pins.emplace_back(p, l);
                                                 pin_times.push_back(t);
                                               },
                                           .http = [this](const sim::HttpRequest& g) { http.push_back(g); },
                                           .mqtt = [this](const sim::MqttRequest& r) { mqtt.push_back(r); },
                                           .socket = [this](const sim::SocketRequest& r) { sockets.push_back(r); },
                                           .unmodelled = [this](std::string_view command) { unmodelled.emplace_back(command); },
                                           .unknown = [this](std::string_view command) { unknown.emplace_back(command); }},
               faults) {}

  std::vector<sim::Level> levels_of(sim::Pin pin) const {
    std::vector<sim::Level> out;
    for (const auto& [p, l] : pins)
      if (p == pin) out.push_back(l);
    return out;
  }

  // Runs every timer due within d, each at its own time.
  void run_for(std::chrono::milliseconds d) {
    sim::Time end = now + d;
    while (auto next = module.next_deadline()) {
      if (*next > end) break;
      now = std::max(now, *next);
      module.advance(now);
    }
    now = end;
    module.advance(now);
  }
  void press(std::chrono::milliseconds hold) {
    module.pin_in(sim::Pin::pwrkey, sim::Level::low, now, now);
    run_for(hold);
    module.pin_in(sim::Pin::pwrkey, sim::Level::high, now, now);
  }
  std::string take() { return std::exchange(uart, {}); }
  // The broker answers the last request as asked (done, or failed).
  void broker(sim::MqttEvent::Kind kind = sim::MqttEvent::Kind::done) {
    const auto& r = mqtt.back();
    module.mqtt_in(sim::MqttEvent{.kind = kind, .link = r.link, .id = r.id}, now);
  }
  std::string command(std::string_view c, std::chrono::milliseconds wait = 50ms) {
    module.uart_in(std::string(c) + "\r", now);
    run_for(wait);
    return take();
  }
  // Powers on as a host does: PWRKEY, then AT until OK (an autobauding SIM7000 loses the
  // first), then time to register.
  void boot() {
    press(1200ms);
    run_for(5s);
    sync();
  }
  // As a host does after a restart it did not cause: AT until OK, then time to register.
  void sync() {
    for (int i = 0; i < 100 && command("AT", 200ms).find("OK") == std::string::npos; ++i) {}
    run_for(4s);
    take();
  }
};

}  // namespace athil::test
