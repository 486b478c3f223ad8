#include "rig/slot_session.hpp"

#include <signal.h>

#include <type_traits>

#include <fmt/format.h>

#include "instrument/spec.hpp"
#include "rig/pins.hpp"
#include "rig/slot_lock.hpp"
#include "rig/virtual_module.hpp"
#include "transport/open_port.hpp"
#include "transport/serial_port.hpp"
#include "transport/tcp_port.hpp"

namespace athil::rig {

namespace fs = std::filesystem;

std::unique_ptr<SlotSession> SlotSession::open(const Rig& rig, const Slot& slot, const Paths& paths) {
  std::unique_ptr<SlotSession> session(new SlotSession(rig, slot, paths));
  session->open_as_kind();
  return session;
}

void SlotSession::open_as_kind() {
  std::visit(
      [&](const auto& kind) {
        using Kind = std::decay_t<decltype(kind)>;
        if constexpr (std::is_same_v<Kind, VirtualSlot>) open_virtual(kind);
        if constexpr (std::is_same_v<Kind, ReplaySlot>) open_replay();
        if constexpr (std::is_same_v<Kind, RealSlot>) open_real(kind);
      },
      slot_.kind);
}

SlotSession::SlotSession(const Rig& rig, const Slot& slot, Paths paths)
    : slot_(slot), rig_name_(rig.name), time_scale_(rig.time_scale), paths_(std::move(paths)) {
  device_.slot = slot.name;
  device_.model = slot.model;
}

SlotSession::~SlotSession() = default;

// '@' is never in a file_safe() name: no scenario's files can take this one's place.
fs::path SlotSession::module_log() const { return paths_.slot_dir / (slot_.is_replay() ? "@replay.log" : "@virtual-module.log"); }

void SlotSession::start_module_process() {
  fs::create_directories(paths_.slot_dir);
  module_ = std::make_unique<VirtualModuleProcess>(slot_, time_scale_, VirtualModuleProcess::Paths{paths_.executable, paths_.run_dir, module_log()});
  emergency_.push_back(EmergencyActions::add([pid = module_->pid()] { ::kill(-pid, SIGKILL); }));
  port_name_ = module_->port_link();
}

// A pseudo-terminal has no UART: the harness keeps the module's line rate, scaled as the module
// scales it. A port that re-enumerates (USB) is reattached within the limit, and says so.
void SlotSession::open_virtual(const VirtualSlot& wiring) {
  start_module_process();
  const unsigned baud = SerialPort::Settings{}.baud;  // the host side of every virtual module
  PortSettings port{.port = port_name_, .baud = baud, .pace_baud = baud / time_scale_};
  if (wiring.usb) port.reattach = TimeScale(time_scale_).timeout(std::chrono::seconds(30));
  device_.port = open_port(port, [this](const std::string& text) { device_.timeline.record(Direction::note, text); });
  device_.pins = connect_virtual_pins(slot_.name, module_->control_socket(), /*netlight_events=*/true);
  device_.engine = std::make_unique<AtEngine>(*device_.port, device_.timeline, Dialect::sim70x0(slot_.model));
  device_.network_sms = [slot = slot_.name, socket = module_->control_socket()](const std::string& from, const std::string& text) {
    auto reply = ask_virtual_module(slot, socket, fmt::format("sms {} {}", from, text));
    if (reply != "ok") throw InfraError(fmt::format("slot {}: the virtual network did not take the message: '{}'", slot, reply));
  };
  if (slot_.instrument) meter_from(instrument::with_conn(slot_.instrument->spec, module_->instrument_conn()));
}

// One instrument at a time for the slot: a PPK2's port is exclusive, and a supply that is also
// measured is one device. It is opened when first wanted and closed when nothing holds it.
void SlotSession::meter_from(const std::string& spec) {
  device_.open_meter = [this, spec]() -> std::shared_ptr<instrument::CurrentMeter> {
    if (auto held = meter_.lock()) return held;
    try {
      std::shared_ptr<instrument::CurrentMeter> opened = instrument::open_meter(instrument::parse_spec(spec));
      meter_ = opened;
      return opened;
    } catch (const InfraError& e) {
      throw InfraError(fmt::format("slot {}: its current meter: {}", slot_.name, e.what()));
    }
  };
  if (slot_.instrument->supplies) device_.pins = supply_through_instrument(slot_.name, std::move(device_.pins), device_.open_meter);
}

// A replay has no pins: the recorded answers only.
void SlotSession::open_replay() {
  start_module_process();
  const unsigned baud = SerialPort::Settings{}.baud;
  device_.port = open_port(PortSettings{.port = port_name_, .baud = baud, .pace_baud = baud / time_scale_});
  device_.engine = std::make_unique<AtEngine>(*device_.port, device_.timeline, Dialect::sim70x0(slot_.model));
}

void SlotSession::open_real(const RealSlot& wiring) {
  lock_ = std::make_unique<SlotLock>(rig_name_, slot_.name);
  // Through ser2net, the serial line is behind a buffer: the harness keeps its pace.
  PortSettings port{
      .port = wiring.port, .baud = wiring.baud, .rtscts = wiring.rtscts, .pace_baud = is_tcp_address(wiring.port) ? wiring.baud / time_scale_ : 0.0};
  if (wiring.usb) port.reattach = wiring.reattach;
  device_.port = open_port(port, [this](const std::string& text) { device_.timeline.record(Direction::note, text); });
  port_name_ = wiring.port;
  device_.pins = open_real_pins(slot_.name, wiring);
  // Racing the slot's own thread is accepted here: the process is about to end.
  if (device_.pins) emergency_.push_back(EmergencyActions::add([pins = device_.pins.get()] { pins->release_outputs(); }));
  device_.engine = std::make_unique<AtEngine>(*device_.port, device_.timeline, Dialect::sim70x0(slot_.model));
  if (slot_.instrument) meter_from(slot_.instrument->spec);
}

void SlotSession::begin_scenario() {
  if (!fresh_module_needed_) return;
  fresh_module_needed_ = false;
  device_.pins.reset();
  device_.engine.reset();
  device_.port.reset();
  emergency_.clear();  // the old process's kill registration goes with it
  module_.reset();
  if (!slot_.is_replay()) device_.timeline.record(Direction::note, "a new virtual module started: the last one died");
  open_as_kind();
}

std::optional<SlotSession::ModuleEnd> SlotSession::end_scenario(bool port_gone) {
  if (!module_) return std::nullopt;
  // A replay serves its session once.
  fresh_module_needed_ = slot_.is_replay();
  auto died = module_->ended(Clock::now() + (port_gone ? std::chrono::seconds(5) : std::chrono::seconds(0)));
  if (!died) return std::nullopt;
  fresh_module_needed_ = true;
  return ModuleEnd{.what = fmt::format("the {} died: {}", slot_.is_replay() ? "replay" : "virtual module", *died), .log = module_log()};
}

bool SlotSession::recoverable() const { return !slot_.is_replay() && !fresh_module_needed_; }

std::optional<fs::path> SlotSession::virtual_module_log() const {
  if (!slot_.is_virtual()) return std::nullopt;
  return module_log();
}

std::optional<fs::path> SlotSession::divergence_log() const {
  if (!slot_.is_replay()) return std::nullopt;
  return paths_.slot_dir / VirtualModuleProcess::replay_divergences_name;
}

}  // namespace athil::rig
