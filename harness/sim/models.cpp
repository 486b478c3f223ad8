#include "sim/models.hpp"

#include <array>

namespace athil::sim {

namespace {
using namespace std::chrono_literals;
constexpr std::array<ModelInfo, 4> models = {{
    {"SIM7000G", "SIMCOM_SIM7000G", "SIM7000G R1529", "86995103702387", "1529B08SIM7000G", 4500ms, true, CnactSyntax::sim7000, 0, 4000ms, true},
    {"SIM7070G", "SIMCOM_SIM7070", "SIM7070G R1951", "86134004997099", "1951B05SIM7070", 2000ms, false, CnactSyntax::indexed, 115200, 1900ms, false},
    {"SIM7080G", "SIMCOM_SIM7080", "R1951.07", "86014105221456", "1951B02SIM7080G", 1800ms, false, CnactSyntax::indexed, 115200, 1900ms, false},
    {"SIM7090G", "SIMCOM_SIM7090", "R2110.01", "86152006530218", "2110B01SIM7090", 2000ms, false, CnactSyntax::indexed, 115200, 1900ms, false},
}};
}  // namespace

std::string ModelInfo::imei() const {
  // Luhn check digit over the 14 digits.
  int sum = 0;
  for (std::size_t i = 0; i < imei14.size(); ++i) {
    int d = imei14[imei14.size() - 1 - i] - '0';
    if (i % 2 == 0) d = d * 2 > 9 ? d * 2 - 9 : d * 2;
    sum += d;
  }
  return std::string(imei14) + static_cast<char>('0' + (10 - sum % 10) % 10);
}

const ModelInfo* find_model(std::string_view name) {
  for (const auto& m : models)
    if (m.name == name) return &m;
  return nullptr;
}

std::vector<std::string_view> model_names() {
  std::vector<std::string_view> out;
  for (const auto& m : models) out.push_back(m.name);
  return out;
}

}  // namespace athil::sim
