// MQTT (AT+SM*), as the SIM7000/7070/7080/7090 application manuals and real logs have it:
// AT+SMCONF sets the broker, client and will; AT+SMCONN connects and answers once the broker
// has (CONNACK); AT+SMPUB takes exactly <length> bytes after its "> " prompt; subscriptions
// come back as +SMSUB: "<topic>","<message>"; a lost link says +SMSTATE: 0. The broker is real:
// the host's client (sim/mqtt_client.cpp) speaks MQTT 3.1.1 to it.
#include "sim/module/common.hpp"

#include <algorithm>
#include <utility>

#include <fmt/format.h>

namespace athil::sim {

void VirtualModule::cmd_smconf(const Invocation& c) {
  auto a = split_args(c.args);
  if (a.size() < 2) return error();
  auto& m = mqtt_;
  std::string name = upper(a[0]);
  auto number = to_int(a[1]);
  if (name == "URL") {
    auto port = a.size() == 3 ? to_int(a[2]) : std::optional<int>(1883);
    if (a[1].empty() || a.size() > 3 || !in_range(port, 1, 65535)) return error();
    m.host = a[1];
    m.port = *port;
  } else if (a.size() != 2) {
    return error();
  } else if (name == "CLIENTID") {
    m.client_id = a[1];
  } else if (name == "USERNAME") {
    m.username = a[1];
  } else if (name == "PASSWORD") {
    m.password = a[1];
  } else if (name == "KEEPTIME") {
    if (!in_range(number, 0, 65535)) return error();
    m.keepalive_s = *number;
  } else if (name == "CLEANSS") {
    if (!in_range(number, 0, 1)) return error();
    m.clean = *number == 1;
  } else if (name == "TOPIC" || name == "MESSAGE") {  // the will
    (name == "TOPIC" ? m.will_topic : m.will_message) = a[1];
  } else if (name == "QOS" || name == "RETAIN") {
    if (!in_range(number, 0, name == "QOS" ? 2 : 1)) return error();
    (name == "QOS" ? m.will_qos : m.will_retain) = *number;
  } else if ((name == "SUBHEX" || name == "ASYNCMODE") && in_range(number, 0, 1)) {
    if (*number == 1) return unmodelled("+SMCONF=" + c.args);  // hex payloads, asynchronous answers: not played
  } else {
    return error();
  }
  ok();
}

// AT+SMSSL=<0|1>[,"<ca>","<cert>"]: the files as AT+CSSLCFG="convert" named them.
void VirtualModule::cmd_smssl(const Invocation& c) {
  if (c.form == Form::read) return reply({fmt::format("+SMSSL: {},\"{}\",\"{}\"", mqtt_.ssl ? 1 : 0, mqtt_.ca, mqtt_.cert)});
  auto a = split_args(c.args);
  auto index = int_arg(a, 0);
  if (a.empty() || a.size() > 3 || !in_range(index, 0, 1)) return error();
  mqtt_.ssl = *index == 1;
  mqtt_.ca = a.size() > 1 ? a[1] : "";
  mqtt_.cert = a.size() > 2 ? a[2] : "";
  ok();
}

void VirtualModule::cmd_smconn(const Invocation&) {
  bool bearer_up = std::any_of(bearers_.begin(), bearers_.end(), [](const auto& b) { return b.second.active; });
  if (mqtt_.connected || mqtt_.host.empty() || !bearer_up) return error();
  // TLS is simulated: a CA the module never converted fails the handshake, as an unknown server would.
  if (mqtt_.ssl && !mqtt_.ca.empty() && !converted_.count(mqtt_.ca)) return error();
  ++mqtt_.link;
  auto timeout = network_timeout(mqtt_connect_timeout);
  mqtt_ask(MqttRequest{.kind = MqttRequest::Kind::connect,
                       .host = mqtt_.host,
                       .port = mqtt_.port,
                       .client_id = mqtt_.client_id,
                       .username = mqtt_.username,
                       .password = mqtt_.password,
                       .keepalive_s = mqtt_.keepalive_s,
                       .clean = mqtt_.clean,
                       .timeout = timeout,
                       .topic = mqtt_.will_topic,
                       .payload = mqtt_.will_message,
                       .qos = mqtt_.will_qos,
                       .retain = mqtt_.will_retain != 0});
}

void VirtualModule::cmd_smpub(const Invocation& c) {
  // AT+SMPUB="<topic>",<length>,<qos>,<retain>
  auto a = split_args(c.args);
  if (a.size() != 4 || a[0].empty()) return error();
  auto size = to_int(a[1]), qos = to_int(a[2]), retain = to_int(a[3]);
  if (!in_range(size, 1, max_mqtt_message) || !in_range(qos, 0, 2) || !in_range(retain, 0, 1) || !mqtt_.connected) return error();
  mqtt_.message = Mqtt::Message{.active = true, .topic = a[0], .size = static_cast<std::size_t>(*size), .qos = *qos, .retain = *retain == 1};
  emit("\r\n> ");
}

void VirtualModule::mqtt_message_bytes(std::string_view bytes) {
  auto& msg = mqtt_.message;
  msg.data += bytes;
  if (echo_) emit(bytes);
  if (msg.data.size() < msg.size) return;
  msg.active = false;
  mqtt_ask(MqttRequest{.kind = MqttRequest::Kind::publish, .topic = msg.topic, .payload = std::move(msg.data), .qos = msg.qos, .retain = msg.retain});
}

void VirtualModule::cmd_smsub(const Invocation& c) {
  auto a = split_args(c.args);  // AT+SMSUB="<topic>",<qos>
  if (a.size() != 2 || a[0].empty()) return error();
  auto qos = to_int(a[1]);
  if (!in_range(qos, 0, 2) || !mqtt_.connected) return error();
  mqtt_ask(MqttRequest{.kind = MqttRequest::Kind::subscribe, .topic = a[0], .qos = *qos});
}

void VirtualModule::cmd_smunsub(const Invocation& c) {
  auto a = split_args(c.args);
  if (a.size() != 1 || a[0].empty() || !mqtt_.connected) return error();
  mqtt_ask(MqttRequest{.kind = MqttRequest::Kind::unsubscribe, .topic = a[0]});
}

void VirtualModule::cmd_smdisc(const Invocation&) {
  if (!mqtt_.connected) return error();
  mqtt_.connected = false;
  if (out_.mqtt) out_.mqtt(MqttRequest{.kind = MqttRequest::Kind::disconnect, .link = mqtt_.link});
  ok();
}

void VirtualModule::cmd_smstate(const Invocation&) { reply({fmt::format("+SMSTATE: {}", mqtt_.connected ? 1 : 0)}); }

// The command in progress answers when the broker has: lines the host sends meanwhile wait.
void VirtualModule::mqtt_ask(MqttRequest r) {
  r.link = mqtt_.link;
  r.id = ++mqtt_.next_id;
  mqtt_.awaited = r.id;
  mqtt_.awaited_kind = r.kind;
  if (!out_.mqtt) return mqtt_in(MqttEvent{.kind = MqttEvent::Kind::failed, .link = r.link, .id = r.id, .why = "no network"}, now_);
  out_.mqtt(r);
}

void VirtualModule::mqtt_in(const MqttEvent& e, Time now) {
  now_ = std::max(now_, now);
  if (e.link != mqtt_.link || state_ == State::off) return;  // an old connection's, or the module lost power since
  switch (e.kind) {
    case MqttEvent::Kind::message: return urc(fmt::format("+SMSUB: \"{}\",\"{}\"", e.topic, e.payload));
    case MqttEvent::Kind::lost: return mqtt_lost();
    case MqttEvent::Kind::done:
    case MqttEvent::Kind::failed: break;
  }
  if (e.id != mqtt_.awaited) return;
  mqtt_.awaited = 0;
  bool connected_now = e.kind == MqttEvent::Kind::done && mqtt_.awaited_kind == MqttRequest::Kind::connect;
  if (connected_now) {
    mqtt_.connected = true;
    if (faults_.mqtt_drop && !std::exchange(mqtt_drop_armed_, true))
      later(*faults_.mqtt_drop, [this, link = mqtt_.link] {
        if (link != mqtt_.link || !mqtt_.connected) return;
        if (out_.mqtt) out_.mqtt(MqttRequest{.kind = MqttRequest::Kind::drop, .link = link});
        mqtt_lost();
      });
  }
  e.kind == MqttEvent::Kind::done ? ok() : error();
  run_held_lines();
}

void VirtualModule::mqtt_lost() {
  if (!std::exchange(mqtt_.connected, false)) return;
  urc("+SMSTATE: 0");
  // A publish under way still ends in OK, after the URC (a SIM7000's log shows it): the module
  // took the message, whatever became of it.
  if (std::exchange(mqtt_.awaited, 0) != 0) {
    mqtt_.awaited_kind == MqttRequest::Kind::publish ? ok() : error();
    run_held_lines();
  }
}

void VirtualModule::mqtt_reset() {
  if ((mqtt_.connected || mqtt_.awaited) && out_.mqtt) out_.mqtt(MqttRequest{.kind = MqttRequest::Kind::drop, .link = mqtt_.link});
  mqtt_ = Mqtt{.link = mqtt_.link + 1, .next_id = mqtt_.next_id};
  held_lines_.clear();
}

void VirtualModule::run_held_lines() {
  while (!waiting_on_network() && !held_lines_.empty()) {
    auto line = std::move(held_lines_.front());
    held_lines_.pop_front();
    handle_line(std::move(line));
  }
}

}  // namespace athil::sim
