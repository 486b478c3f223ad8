#include "sim/adapter.hpp"

namespace athil::sim {

std::string UsbSerialAdapter::receive(std::string_view bytes, Time now) {
  if (held_.empty()) since_ = now;
  held_.append(bytes);
  std::string out;
  while (held_.size() >= packet_) {
    out.append(held_, 0, packet_);
    held_.erase(0, packet_);
    since_ = now;  // a packet went: the timer starts again for what is left
  }
  return out;
}

std::string UsbSerialAdapter::release() {
  std::string out;
  out.swap(held_);
  return out;
}

}  // namespace athil::sim
