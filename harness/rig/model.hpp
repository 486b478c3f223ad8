#pragma once
// What a rig file says is wired: slots, their ports and their pins. Plain data.
#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "base/duration.hpp"
#include "base/error.hpp"

namespace athil::rig {

enum class PinRole { pwrkey, reset, supply, status, netlight, dtr };
enum class Level { low, high };

const char* to_string(PinRole role);
const char* to_string(Level level);
std::optional<PinRole> pin_role_from(std::string_view name);

struct GpioLine {
  PinRole role;
  unsigned offset = 0;
  bool active_low = false;  // the GPIO drives the module pin through an inverter
  SourcePos pos;
};

struct RealSlot {
  std::string port;
  unsigned baud = 115200;
  bool rtscts = false;
  bool usb = false;  // the port re-enumerates on reset: reattach to it
  Duration reattach = std::chrono::seconds(30);
  std::string gpio_chip;  // empty: no GPIO lines
  std::vector<GpioLine> lines;
  // Programs that switch the supply where no GPIO line does (uhubctl, a PDU's command line):
  // argument vectors, run without a shell. Both empty or both set.
  std::vector<std::string> supply_on, supply_off;
  SourcePos supply_pos;
};

struct VirtualSlot {
  std::string faults;  // checked against the virtual module's catalogue when the rig loads
  int ipr = -1;        // the rate saved in the module (AT+IPR) at the start; -1 the factory setting, 0 autobaud
  bool usb = false;    // the module's port behaves as on USB: gone while off, new after boot
  // Bytes reach the host through a USB-serial adapter with this latency timer (0: at once);
  // real time, as an adapter's clock is, whatever the rig's time scale.
  Duration latency{};
  // Where its GNSS receiver is: "LAT,LON[,ALT]", or a track file (resolved against the rig
  // file's folder); neither: the virtual module's default point.
  std::string gnss_at, gnss_track;
};

// A field session served as the slot's module by `athil replay` (harness/field/README.md):
// no pins, the recorded answers at the rig's time scale.
struct ReplaySlot {
  std::string log;  // resolved against the rig file's folder
  std::string format = "auto";
  std::string vary;  // a regex for the parts of commands that may differ ("" for none)
};

// A server the slot's module reaches over its network.
struct Endpoint {
  std::string host;
  unsigned port = 0;
};

// A current meter on the slot (<instrument spec="..."/>), named as sigrok-cli names a device:
// "ppk2:conn=/dev/ttyACM0:mode=source:voltage=3.8V". On a virtual slot, "ppk2" without conn: the
// virtual module serves one beside its port.
struct Instrument {
  std::string spec;
  SourcePos pos;
  bool supplies = false;  // it is the slot's supply too (a bench supply, a PPK2 in source mode)
};

struct Slot {
  std::string name;
  std::string model;
  std::string firmware;  // the revision the slot is expected to run at the start
  SourcePos pos;
  std::variant<VirtualSlot, RealSlot, ReplaySlot> kind;
  // The revision a FOTA run updates the slot to (fota-target): the release under test. Empty:
  // the slot takes no part in FOTA scenarios (they require fota-target).
  std::string fota_target;
  // The MQTT broker the module reaches (mqtt-broker="HOST:PORT"): a real slot needs one for the
  // scenarios that require mqtt-broker; a virtual slot without one uses the run's own.
  std::optional<Endpoint> mqtt_broker;
  std::optional<Instrument> instrument;
  bool is_virtual() const { return std::holds_alternative<VirtualSlot>(kind); }
  bool is_replay() const { return std::holds_alternative<ReplaySlot>(kind); }
  // Its module is a child process of the harness (a virtual module or a replay).
  bool is_simulated() const { return !std::holds_alternative<RealSlot>(kind); }
  // The module's port re-enumerates with it (USB): what it prints before the host has the new
  // port open is lost (its boot URCs).
  bool usb_port() const;
  // Whether the slot offers what a scenario's `requires` names (status, supply, reset, usb,
  // fota-target, network-sms, mqtt-broker, current).
  bool provides(const std::string& capability) const;
  // What to add to the slot's rig-file entry so that it provides `capability`.
  std::string how_to_provide(const std::string& capability) const;
  // Lines of a GPIO chip drive it (libgpiod is in play).
  bool uses_gpio() const;
  // Its module fetches firmware from the run's own HTTP server (fixtures/firmware on loopback).
  bool fetches_run_firmware() const { return is_virtual(); }
  // Its module talks to the run's own MQTT broker (mosquitto on loopback).
  bool uses_run_broker() const { return is_virtual() && !mqtt_broker; }
};

struct Rig {
  std::string name;
  std::string path;
  double time_scale = 1.0;
  std::vector<std::pair<std::string, std::string>> vars;
  std::vector<Slot> slots;
};

// Throws InputError with file:line:col.
Rig load_rig(const std::string& path);

// A command line as a rig file writes it, split into words: blanks separate, '...' and "..."
// quote, a backslash escapes the next character (outside single quotes). Nothing is expanded:
// no variables, no globs, no shell. Throws InputError (an unclosed quote).
std::vector<std::string> split_command(std::string_view text);

}  // namespace athil::rig
