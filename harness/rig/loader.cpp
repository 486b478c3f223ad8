#include <algorithm>
#include <charconv>
#include <filesystem>
#include <regex>
#include <set>

#include <fmt/format.h>

#include "base/error.hpp"
#include "base/xml_source.hpp"
#include "models/models.hpp"
#include "rig/model.hpp"
#include "sim/faults.hpp"
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

RealSlot real_slot(const XmlSource& src, pugi::xml_node slot) {
  RealSlot r;
  auto serial = slot.child("serial");
  if (!serial) src.fail(slot, "a real slot needs <serial port=\"...\"/> (or <virtual/> for a simulated module)");
  src.only_attributes(serial, {"port", "baud", "flow", "usb", "reattach"});
  r.port = src.required(serial, "port");
  if (is_tcp_address(r.port)) {
    if (auto problem = tcp_address_problem(r.port); !problem.empty()) src.fail(serial, "port", problem);
  } else if (r.port.find("://") != std::string::npos) {
    src.fail(serial, "port", fmt::format("'{}': a port is a device path or socket://HOST:PORT (ser2net in raw mode)", r.port));
  }
  r.usb = parse_bool(src, serial, "usb");
  if (serial.attribute("reattach")) {
    try {
      r.reattach = parse_duration(serial.attribute("reattach").value());
    } catch (const InputError& e) {
      src.fail(serial, "reattach", e.what());
    }
  }
  if (serial.attribute("baud")) r.baud = parse_unsigned(src, serial, "baud");
  if (!is_standard_baud(r.baud)) src.fail(serial, "baud", fmt::format("{} is not a standard baud rate ({})", r.baud, standard_bauds_text()));
  std::string flow = serial.attribute("flow").value();
  if (flow == "rtscts")
    r.rtscts = true;
  else if (!flow.empty() && flow != "none")
    src.fail(serial, "flow", fmt::format("flow is \"none\" or \"rtscts\", not '{}'", flow));
  if (auto gpio = slot.child("gpio")) {
    src.only_attributes(gpio, {"chip"});
    r.gpio_chip = src.required(gpio, "chip");
    std::set<PinRole> seen;
    for (auto line : gpio.children()) {
      if (line.type() != pugi::node_element) continue;
      if (std::string_view(line.name()) != "line") src.fail(line, fmt::format("unknown element <{}> in <gpio> (allowed: line)", line.name()));
      src.only_attributes(line, {"role", "offset", "active-low"});
      std::string role_name = src.required(line, "role");
      auto role = pin_role_from(role_name);
      if (!role) src.fail(line, "role", fmt::format("unknown pin role '{}' (pwrkey, reset, supply, status, netlight, dtr)", role_name));
      if (!seen.insert(*role).second) src.fail(line, "role", fmt::format("a second line for '{}'", role_name));
      r.lines.push_back(
          GpioLine{.role = *role, .offset = parse_unsigned(src, line, "offset"), .active_low = parse_bool(src, line, "active-low"), .pos = src.pos(line)});
    }
  }
  if (auto supply = slot.child("supply")) {
    src.only_attributes(supply, {"on", "off"});
    for (auto [attribute, words] : {std::pair{"on", &r.supply_on}, std::pair{"off", &r.supply_off}}) {
      try {
        *words = split_command(src.required(supply, attribute));
      } catch (const InputError& e) {
        src.fail(supply, attribute, e.what());
      }
      if (words->empty()) src.fail(supply, attribute, fmt::format("the supply {} command is empty", attribute));
      // A program named by a relative path is the rig's own (scripts beside the rig file),
      // wherever athil was started from; a bare name is looked up on PATH.
      auto& program = words->front();
      if (program.find('/') != std::string::npos && program.front() != '/')
        program = (std::filesystem::absolute(std::filesystem::path(src.name()).parent_path()) / program).lexically_normal().string();
    }
    r.supply_pos = src.pos(supply);
    for (const auto& line : r.lines)
      if (line.role == PinRole::supply)
        src.fail(supply,
                 fmt::format("the supply is switched by the GPIO line at {} already: a slot has a supply line or supply commands, not both", line.pos.str()));
  }
  for (auto child : slot.children()) {
    std::string_view name = child.name();
    if (child.type() == pugi::node_element && name != "serial" && name != "gpio" && name != "supply")
      src.fail(child, fmt::format("unknown element <{}> in a real <slot> (allowed: serial, gpio, supply)", name));
  }
  return r;
}

}  // namespace

Rig load_rig(const std::string& path) {
  auto src = XmlSource::load(path);
  auto root = src->doc().document_element();
  if (!root || std::string_view(root.name()) != "rig") src->fail(root, "the root element of a rig file is <rig>");
  src->only_attributes(root, {"name", "time-scale"});
  Rig rig;
  rig.path = path;
  rig.name = src->required(root, "name");
  if (root.attribute("time-scale")) {
    std::string v = root.attribute("time-scale").value();
    double f = 0;
    auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), f);
    if (ec != std::errc() || end != v.data() + v.size() || !(f > 0) || f > 1000)
      src->fail(root, "time-scale", fmt::format("time-scale is a number above 0 (1 is real time), not '{}'", v));
    rig.time_scale = f;
  }
  std::set<std::string> names;
  for (auto node : root.children()) {
    if (node.type() != pugi::node_element) continue;
    std::string_view el = node.name();
    if (el == "var") {
      src->only_attributes(node, {"name", "value"});
      rig.vars.emplace_back(src->required(node, "name"), src->required(node, "value"));
    } else if (el == "slot") {
      src->only_attributes(node, {"name", "model", "firmware", "fota-target"});
      Slot slot;
      slot.name = src->required(node, "name");
      slot.model = src->required(node, "model");
      if (const auto* m = find_model(slot.model); !m || m->name != slot.model)
        src->fail(node, "model",
                  fmt::format("unknown model '{}'{} (the family: {})", slot.model, did_you_mean(slot.model, model_names()), fmt::join(model_names(), ", ")));
      slot.firmware = node.attribute("firmware").value();
      slot.fota_target = node.attribute("fota-target").value();
      // A revision names delta folders and URLs: FROM___TO/update.zip.
      for (char c : slot.fota_target)
        if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_' && c != '.')
          src->fail(node, "fota-target", "a revision may hold only letters, digits, '.', '-' and '_'");
      if (node.attribute("fota-target") && slot.fota_target.empty()) src->fail(node, "fota-target", "fota-target is empty");
      if (!slot.fota_target.empty() && slot.fota_target == slot.firmware)
        src->fail(node, "fota-target", fmt::format("fota-target is the slot's own firmware ({}): nothing to update to", slot.firmware));
      slot.pos = src->pos(node);
      if (!names.insert(slot.name).second) src->fail(node, "name", fmt::format("a second slot named '{}'", slot.name));
      for (char c : slot.name)
        if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_')
          src->fail(node, "name", "a slot name may hold only letters, digits, '-' and '_'");
      if (auto v = node.child("virtual")) {
        src->only_attributes(v, {"faults", "usb", "ipr", "latency"});
        for (auto child : node.children())
          if (child.type() == pugi::node_element && child != v) src->fail(child, fmt::format("a virtual slot holds only <virtual/>, not <{}>", child.name()));
        try {
          sim::Faults checked;
          sim::add_faults(checked, v.attribute("faults").value());
        } catch (const InputError& e) {
          src->fail(v, "faults", e.what());
        }
        if (slot.firmware.empty()) src->fail(node, "a virtual slot needs firmware=\"REVISION\" to start at");
        int ipr = -1;
        if (v.attribute("ipr")) {
          unsigned rate = parse_unsigned(*src, v, "ipr");
          const auto& rates = sim::ipr_rates();
          if (std::find(rates.begin(), rates.end(), rate) == rates.end())
            src->fail(v, "ipr", fmt::format("{} is not a rate AT+IPR takes ({})", rate, fmt::join(rates, ", ")));
          ipr = static_cast<int>(rate);
        }
        VirtualSlot virt{.faults = v.attribute("faults").value(), .ipr = ipr, .usb = parse_bool(*src, v, "usb")};
        if (v.attribute("latency")) {
          try {
            virt.latency = parse_duration(v.attribute("latency").value());
          } catch (const InputError& e) {
            src->fail(v, "latency", e.what());
          }
          if (virt.latency > std::chrono::seconds(1)) src->fail(v, "latency", "a latency over 1s is no adapter's");
        }
        slot.kind = virt;
      } else if (auto r = node.child("replay")) {
        src->only_attributes(r, {"log", "format", "vary"});
        for (auto child : node.children())
          if (child.type() == pugi::node_element && child != r) src->fail(child, fmt::format("a replay slot holds only <replay/>, not <{}>", child.name()));
        ReplaySlot replay;
        std::string log = src->required(r, "log");
        replay.log = (std::filesystem::path(path).parent_path() / log).lexically_normal().string();
        if (!std::filesystem::is_regular_file(replay.log)) src->fail(r, "log", fmt::format("no log file {}", replay.log));
        if (r.attribute("format")) replay.format = r.attribute("format").value();
        static const std::vector<std::string> formats = {"auto", "athil", "raw", "markers", "espidf", "arrows"};
        if (std::find(formats.begin(), formats.end(), replay.format) == formats.end())
          src->fail(r, "format", fmt::format("unknown log format '{}' ({})", replay.format, fmt::join(formats, ", ")));
        replay.vary = r.attribute("vary").value();
        try {
          std::regex check(replay.vary);
        } catch (const std::regex_error& e) {
          src->fail(r, "vary", fmt::format("the regex does not compile: {}", e.what()));
        }
        slot.kind = std::move(replay);
      } else {
        slot.kind = real_slot(*src, node);
      }
      rig.slots.push_back(std::move(slot));
    } else {
      src->fail(node, fmt::format("unknown element <{}> in <rig> (allowed: var, slot)", el));
    }
  }
  if (rig.slots.empty()) src->fail(root, "a rig needs at least one <slot>");
  return rig;
}

}  // namespace athil::rig
