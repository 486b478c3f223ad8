#include <algorithm>
#include <charconv>
#include <filesystem>
#include <regex>
#include <set>

#include <fmt/format.h>

#include "base/error.hpp"
#include "base/xml_source.hpp"
#include "instrument/spec.hpp"
#include "models/models.hpp"
#include "rig/model.hpp"
#include "sim/faults.hpp"
#include "sim/gnss_track.hpp"
#include "transport/serial_port.hpp"
#include "transport/tcp_port.hpp"

namespace athil::rig {

const char* to_string(PinRole role) {
  switch (role) {
    case PinRole::pwrkey: return "pwrkey";
    case PinRole::reset: return "reset";
    case PinRole::supply: return "supply";
    case PinRole::status: return "status";
    case PinRole::netlight: return "netlight";
    case PinRole::dtr: return "dtr";
  }
  return "?";
}

const char* to_string(Level level) { return level == Level::high ? "high" : "low"; }

std::optional<PinRole> pin_role_from(std::string_view name) {
  for (auto role : {PinRole::pwrkey, PinRole::reset, PinRole::supply, PinRole::status, PinRole::netlight, PinRole::dtr})
    if (name == to_string(role)) return role;
  return std::nullopt;
}

std::vector<std::string> split_command(std::string_view text) {
  std::vector<std::string> words;
  std::string word;
  bool in_word = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
      if (in_word) words.push_back(std::exchange(word, {}));
      in_word = false;
      continue;
    }
    in_word = true;
    if (c == '\\') {
      if (++i == text.size()) throw InputError("a backslash at the end of the command escapes nothing");
      word += text[i];
    } else if (c == '\'' || c == '"') {
      // Inside double quotes a backslash still escapes (a quote, a backslash).
      std::string quoted;
      std::size_t j = i + 1;
      for (; j < text.size() && text[j] != c; ++j) {
        if (c == '"' && text[j] == '\\' && j + 1 < text.size()) ++j;
        quoted += text[j];
      }
      if (j == text.size()) throw InputError(fmt::format("the quote {} opened at character {} is never closed", c, i + 1));
      word += quoted;
      i = j;
    } else {
      word += c;
    }
  }
  if (in_word) words.push_back(word);
  return words;
}

namespace {

unsigned parse_unsigned(const XmlSource& src, pugi::xml_node node, const char* attribute) {
  std::string v = src.required(node, attribute);
  unsigned n = 0;
  auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
  if (ec != std::errc() || end != v.data() + v.size()) src.fail(node, attribute, fmt::format("'{}' is not a whole number", v));
  return n;
}

bool parse_bool(const XmlSource& src, pugi::xml_node node, const char* attribute) {
  std::string v = node.attribute(attribute).value();
  if (v.empty() || v == "false") return false;
  if (v == "true") return true;
  src.fail(node, attribute, fmt::format("{} is \"true\" or \"false\", not '{}'", attribute, v));
}

// Reads a rig file whole: every mistake in it is reported in one pass, each at file:line:col,
// unknown names with a suggestion.
class RigReader {
 public:
  RigReader(const XmlSource& src, std::string path) : src_(src), path_(std::move(path)) {}

  Rig read() {
    auto root = src_.doc().document_element();
    if (!root || std::string_view(root.name()) != "rig") src_.fail(root, "the root element of a rig file is <rig>");
    Rig rig;
    rig.path = path_;
    attempt([&] { src_.only_attributes(root, {"name", "time-scale"}); });
    attempt([&] { rig.name = src_.required(root, "name"); });
    attempt([&] { rig.time_scale = time_scale(root); });
    bool any_slot = false;
    for (auto node : root.children()) {
      if (node.type() != pugi::node_element) continue;
      std::string_view el = node.name();
      if (el == "var") {
        attempt([&] { rig.vars.push_back(var(node)); });
      } else if (el == "slot") {
        any_slot = true;
        if (auto s = slot(node)) rig.slots.push_back(std::move(*s));
      } else {
        attempt([&] { unknown_element(node, "<rig>", {"var", "slot"}); });
      }
    }
    if (!any_slot) attempt([&] { src_.fail(root, "a rig needs at least one <slot>"); });
    diagnostics_.throw_if_any();
    return rig;
  }

 private:
  template <class F>
  void attempt(F&& check) {
    diagnostics_.attempt(std::forward<F>(check));
  }

  [[noreturn]] void unknown_element(pugi::xml_node node, std::string_view in, const std::vector<std::string>& allowed) const {
    src_.fail(node, fmt::format("unknown element <{}> in {}{} (allowed: {})", node.name(), in, did_you_mean(node.name(), allowed), fmt::join(allowed, ", ")));
  }

  double time_scale(pugi::xml_node root) const {
    if (!root.attribute("time-scale")) return 1.0;
    std::string v = root.attribute("time-scale").value();
    double f = 0;
    auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), f);
    if (ec != std::errc() || end != v.data() + v.size() || !(f > 0) || f > 1000)
      src_.fail(root, "time-scale", fmt::format("time-scale is a number above 0 (1 is real time), not '{}'", v));
    return f;
  }

  std::pair<std::string, std::string> var(pugi::xml_node node) const {
    src_.only_attributes(node, {"name", "value"});
    return {src_.required(node, "name"), src_.required(node, "value")};
  }

  // A slot's mistakes are all reported; the slot itself is kept only when it has none.
  std::optional<Slot> slot(pugi::xml_node node) {
    auto mistakes_before = diagnostics_.count();
    Slot slot;
    slot.pos = src_.pos(node);
    attempt([&] { src_.only_attributes(node, {"name", "model", "firmware", "fota-target", "mqtt-broker"}); });
    attempt([&] { slot.name = slot_name(node); });
    attempt([&] { slot.model = model(node); });
    slot.firmware = node.attribute("firmware").value();
    attempt([&] { slot.fota_target = fota_target(node, slot.firmware); });
    if (node.attribute("mqtt-broker")) attempt([&] { slot.mqtt_broker = mqtt_broker(node); });
    // The kind is read only from known children: a misspelt <virtual/> is that mistake, not a
    // real slot missing its <serial>.
    bool children_known = true;
    for (auto child : node.children())
      if (child.type() == pugi::node_element && !known_slot_child(child.name())) {
        children_known = false;
        attempt([&] { unknown_element(child, "<slot>", {"virtual", "replay", "serial", "gpio", "supply", "instrument"}); });
      }
    if (children_known) attempt([&] { slot.kind = kind(node, slot); });
    if (auto i = node.child("instrument"); i && children_known) attempt([&] { slot.instrument = instrument(i, slot); });
    if (diagnostics_.count() != mistakes_before) return std::nullopt;
    return slot;
  }

  static bool known_slot_child(std::string_view name) {
    return name == "virtual" || name == "replay" || name == "serial" || name == "gpio" || name == "supply" || name == "instrument";
  }

  std::string slot_name(pugi::xml_node node) {
    std::string name = src_.required(node, "name");
    if (!names_.insert(name).second) src_.fail(node, "name", fmt::format("a second slot named '{}'", name));
    for (char c : name)
      if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_')
        src_.fail(node, "name", "a slot name may hold only letters, digits, '-' and '_'");
    return name;
  }

  std::string model(pugi::xml_node node) const {
    std::string model = src_.required(node, "model");
    if (const auto* m = find_model(model); !m || m->name != model)
      src_.fail(node, "model", fmt::format("unknown model '{}'{} (the family: {})", model, did_you_mean(model, model_names()), fmt::join(model_names(), ", ")));
    return model;
  }

  std::string fota_target(pugi::xml_node node, const std::string& firmware) const {
    std::string target = node.attribute("fota-target").value();
    // A revision names delta folders and URLs: FROM___TO/update.zip.
    for (char c : target)
      if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_' && c != '.')
        src_.fail(node, "fota-target", "a revision may hold only letters, digits, '.', '-' and '_'");
    if (node.attribute("fota-target") && target.empty()) src_.fail(node, "fota-target", "fota-target is empty");
    if (!target.empty() && target == firmware)
      src_.fail(node, "fota-target", fmt::format("fota-target is the slot's own firmware ({}): nothing to update to", firmware));
    return target;
  }

  // HOST:PORT, the broker the slot's module reaches over its network.
  Endpoint mqtt_broker(pugi::xml_node node) const {
    std::string text = node.attribute("mqtt-broker").value();
    auto colon = text.rfind(':');
    unsigned port = 0;
    std::string digits = colon == std::string::npos ? "" : text.substr(colon + 1);
    bool numeric = !digits.empty() && digits.size() <= 5 && digits.find_first_not_of("0123456789") == std::string::npos;
    if (numeric) port = static_cast<unsigned>(std::stoul(digits));
    std::string host = colon == std::string::npos ? "" : text.substr(0, colon);
    bool host_ok = !host.empty() && host.find_first_of("\"\\, \t") == std::string::npos;
    if (!host_ok || port == 0 || port > 65535) src_.fail(node, "mqtt-broker", fmt::format("mqtt-broker is HOST:PORT (broker.lab:1883), not '{}'", text));
    return Endpoint{.host = host, .port = port};
  }

  std::variant<VirtualSlot, RealSlot, ReplaySlot> kind(pugi::xml_node node, const Slot& slot) {
    if (auto v = node.child("virtual")) {
      only_child(node, v, "a virtual slot holds only <virtual/>");
      if (slot.firmware.empty()) src_.fail(node, "a virtual slot needs firmware=\"REVISION\" to start at");
      return virtual_slot(v);
    }
    if (auto r = node.child("replay")) {
      only_child(node, r, "a replay slot holds only <replay/>");
      return replay_slot(r);
    }
    return real_slot(node);
  }

  void only_child(pugi::xml_node slot, pugi::xml_node only, std::string_view what) const {
    for (auto child : slot.children())
      if (child.type() == pugi::node_element && child != only && child.name() != std::string_view("instrument"))
        src_.fail(child, fmt::format("{}, not <{}>", what, child.name()));
  }

  // The slot's current meter: checked as its backend will read it, conn= where a real one is.
  Instrument instrument(pugi::xml_node node, const Slot& slot) const {
    src_.only_attributes(node, {"spec"});
    std::string spec = src_.required(node, "spec");
    if (slot.is_replay()) src_.fail(node, "a replayed session draws no current: an <instrument> needs a virtual or real slot");
    if (auto why = instrument::spec_problem(spec, slot.is_virtual() ? instrument::Served::virtually : instrument::Served::by_lab))
      src_.fail(node, "spec", *why);
    bool supplies = instrument::spec_supplies(instrument::parse_spec(spec));
    if (const auto* real = std::get_if<RealSlot>(&slot.kind);
        real && supplies &&
        (!real->supply_on.empty() || std::any_of(real->lines.begin(), real->lines.end(), [](const GpioLine& l) { return l.role == PinRole::supply; })))
      src_.fail(node, "spec",
                "this instrument is the slot's supply, and the slot switches a supply of its own too (a <gpio> supply line or <supply> commands): keep one");
    return Instrument{.spec = spec, .pos = src_.pos(node), .supplies = supplies};
  }

  // Where the virtual module's GNSS receiver is: a point, or a track file beside the rig file.
  void gnss(pugi::xml_node v, VirtualSlot& virt) const {
    if (v.attribute("gnss-at") && v.attribute("gnss-track")) src_.fail(v, "gnss-track", "gnss-at and gnss-track both place the receiver: one of them");
    try {
      if (v.attribute("gnss-at")) {
        sim::GnssTrack::point(v.attribute("gnss-at").value());
        virt.gnss_at = v.attribute("gnss-at").value();
      }
    } catch (const InputError& e) {
      src_.fail(v, "gnss-at", e.what());
    }
    if (!v.attribute("gnss-track")) return;
    virt.gnss_track = (std::filesystem::path(path_).parent_path() / v.attribute("gnss-track").value()).lexically_normal().string();
    try {
      sim::GnssTrack::load(virt.gnss_track);
    } catch (const InputError& e) {
      src_.fail(v, "gnss-track", e.what());
    }
  }

  VirtualSlot virtual_slot(pugi::xml_node v) const {
    src_.only_attributes(v, {"faults", "usb", "ipr", "latency", "gnss-at", "gnss-track"});
    try {
      sim::Faults checked;
      sim::add_faults(checked, v.attribute("faults").value());
    } catch (const InputError& e) {
      src_.fail(v, "faults", e.what());
    }
    int ipr = -1;
    if (v.attribute("ipr")) {
      unsigned rate = parse_unsigned(src_, v, "ipr");
      const auto& rates = sim::ipr_rates();
      if (std::find(rates.begin(), rates.end(), rate) == rates.end())
        src_.fail(v, "ipr", fmt::format("{} is not a rate AT+IPR takes ({})", rate, fmt::join(rates, ", ")));
      ipr = static_cast<int>(rate);
    }
    VirtualSlot virt{.faults = v.attribute("faults").value(), .ipr = ipr, .usb = parse_bool(src_, v, "usb")};
    if (v.attribute("latency")) {
      try {
        virt.latency = parse_duration(v.attribute("latency").value());
      } catch (const InputError& e) {
        src_.fail(v, "latency", e.what());
      }
      if (virt.latency > std::chrono::seconds(1)) src_.fail(v, "latency", "a latency over 1s is no adapter's");
    }
    gnss(v, virt);
    return virt;
  }

  ReplaySlot replay_slot(pugi::xml_node r) const {
    src_.only_attributes(r, {"log", "format", "vary"});
    ReplaySlot replay;
    std::string log = src_.required(r, "log");
    replay.log = (std::filesystem::path(path_).parent_path() / log).lexically_normal().string();
    if (!std::filesystem::is_regular_file(replay.log)) src_.fail(r, "log", fmt::format("no log file {}", replay.log));
    if (r.attribute("format")) replay.format = r.attribute("format").value();
    static const std::vector<std::string> formats = {"auto", "athil", "raw", "markers", "espidf", "arrows"};
    if (std::find(formats.begin(), formats.end(), replay.format) == formats.end())
      src_.fail(r, "format", fmt::format("unknown log format '{}'{} ({})", replay.format, did_you_mean(replay.format, formats), fmt::join(formats, ", ")));
    replay.vary = r.attribute("vary").value();
    try {
      std::regex check(replay.vary);
    } catch (const std::regex_error& e) {
      src_.fail(r, "vary", fmt::format("the regex does not compile: {}", e.what()));
    }
    return replay;
  }

  // Its serial port, GPIO lines and supply commands, each checked on its own (slot() drops a
  // slot with any mistake).
  RealSlot real_slot(pugi::xml_node slot) {
    RealSlot r;
    attempt([&] { serial(slot, r); });
    if (auto gpio = slot.child("gpio")) gpio_lines(gpio, r);
    if (auto supply = slot.child("supply")) attempt([&] { supply_commands(supply, r); });
    return r;
  }

  void serial(pugi::xml_node slot, RealSlot& r) const {
    auto serial = slot.child("serial");
    if (!serial) src_.fail(slot, "a real slot needs <serial port=\"...\"/> (or <virtual/> for a simulated module)");
    src_.only_attributes(serial, {"port", "baud", "flow", "usb", "reattach"});
    r.port = src_.required(serial, "port");
    if (is_tcp_address(r.port)) {
      if (auto problem = tcp_address_problem(r.port); !problem.empty()) src_.fail(serial, "port", problem);
    } else if (r.port.find("://") != std::string::npos) {
      src_.fail(serial, "port", fmt::format("'{}': a port is a device path or socket://HOST:PORT (ser2net in raw mode)", r.port));
    }
    r.usb = parse_bool(src_, serial, "usb");
    if (serial.attribute("reattach")) {
      try {
        r.reattach = parse_duration(serial.attribute("reattach").value());
      } catch (const InputError& e) {
        src_.fail(serial, "reattach", e.what());
      }
    }
    if (serial.attribute("baud")) r.baud = parse_unsigned(src_, serial, "baud");
    if (!is_standard_baud(r.baud)) src_.fail(serial, "baud", fmt::format("{} is not a standard baud rate ({})", r.baud, standard_bauds_text()));
    std::string flow = serial.attribute("flow").value();
    if (flow == "rtscts")
      r.rtscts = true;
    else if (!flow.empty() && flow != "none")
      src_.fail(serial, "flow", fmt::format("flow is \"none\" or \"rtscts\", not '{}'", flow));
  }

  void gpio_lines(pugi::xml_node gpio, RealSlot& r) {
    attempt([&] { src_.only_attributes(gpio, {"chip"}); });
    attempt([&] { r.gpio_chip = src_.required(gpio, "chip"); });
    std::set<PinRole> seen;
    for (auto line : gpio.children()) {
      if (line.type() != pugi::node_element) continue;
      attempt([&] {
        if (std::string_view(line.name()) != "line") unknown_element(line, "<gpio>", {"line"});
        src_.only_attributes(line, {"role", "offset", "active-low"});
        std::string role_name = src_.required(line, "role");
        auto role = pin_role_from(role_name);
        std::vector<std::string> roles = {"pwrkey", "reset", "supply", "status", "netlight", "dtr"};
        if (!role) src_.fail(line, "role", fmt::format("unknown pin role '{}'{} ({})", role_name, did_you_mean(role_name, roles), fmt::join(roles, ", ")));
        if (!seen.insert(*role).second) src_.fail(line, "role", fmt::format("a second line for '{}'", role_name));
        r.lines.push_back(
            GpioLine{.role = *role, .offset = parse_unsigned(src_, line, "offset"), .active_low = parse_bool(src_, line, "active-low"), .pos = src_.pos(line)});
      });
    }
  }

  void supply_commands(pugi::xml_node supply, RealSlot& r) const {
    src_.only_attributes(supply, {"on", "off"});
    for (auto [attribute, words] : {std::pair{"on", &r.supply_on}, std::pair{"off", &r.supply_off}}) {
      try {
        *words = split_command(src_.required(supply, attribute));
      } catch (const InputError& e) {
        src_.fail(supply, attribute, e.what());
      }
      if (words->empty()) src_.fail(supply, attribute, fmt::format("the supply {} command is empty", attribute));
      // A program named by a relative path is the rig's own (scripts beside the rig file),
      // wherever athil was started from; a bare name is looked up on PATH.
      auto& program = words->front();
      if (program.find('/') != std::string::npos && program.front() != '/')
        program = (std::filesystem::absolute(std::filesystem::path(src_.name()).parent_path()) / program).lexically_normal().string();
    }
    r.supply_pos = src_.pos(supply);
    for (const auto& line : r.lines)
      if (line.role == PinRole::supply)
        src_.fail(supply,
                  fmt::format("the supply is switched by the GPIO line at {} already: a slot has a supply line or supply commands, not both", line.pos.str()));
  }

  const XmlSource& src_;
  std::string path_;
  Diagnostics diagnostics_;
  std::set<std::string> names_;
};

}  // namespace

Rig load_rig(const std::string& path) {
  auto src = XmlSource::load(path);
  return RigReader(*src, path).read();
}

}  // namespace athil::rig
