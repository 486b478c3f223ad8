// The harness's model facts (harness/models) against the virtual module's own table and the
// fixtures' profiles: kept apart on purpose, they must agree where both speak.
#include <doctest/doctest.h>

#include <fmt/format.h>

#include "base/error.hpp"
#include "models/models.hpp"
#include "rig/model.hpp"
#include "scenario/model_profiles.hpp"
#include "sim/models.hpp"
#include "sim/module/common.hpp"
#include "support.hpp"

using namespace athil;

TEST_CASE("models: the harness and the virtual module agree on each model's pins, bearer syntax and timing margins") {
  for (const auto& m : all_models()) {
    CAPTURE(m.name);
    const auto* played = sim::find_model(m.name);
    if (!played) continue;  // a variant the virtual rack does not play (SIM7000E, ...)
    CHECK(played->has_reset_pin == m.reset_pin);
    CHECK((played->cnact == sim::CnactSyntax::sim7000) == (m.bearer == BearerSyntax::sim7000));
    // The harness waits longer than the module takes: a healthy module never fails a sequence.
    CHECK(played->boot_to_uart_ready < m.power.ready_within);
    CHECK(played->power_down < m.power.off_within);
    // A press the host overran is judged by the holds at which the module acts on it.
    CHECK(m.power.pwrkey_on_min == sim::pwrkey_on_hold);
    CHECK(m.power.pwrkey_off_min == sim::pwrkey_off_hold);
    CHECK(m.power.pwrkey_reset_min == (played->has_reset_pin ? Duration::zero() : Duration(sim::pwrkey_reset_hold)));
  }
  for (auto name : {"SIM7000G", "SIM7070G", "SIM7080G", "SIM7090G"}) CHECK_MESSAGE(find_model(name), name);
}

TEST_CASE("models: fixtures/models.xml gives each model the bearer syntax the table says") {
  auto profiles = scenario::ModelProfiles::load(test::source_dir() / "fixtures" / "models.xml");
  for (const auto& m : all_models()) {
    CAPTURE(m.name);
    const auto& vars = profiles.for_model(m.name);
    REQUIRE(vars.count("bearer_on"));
    bool indexed = vars.at("bearer_on").find("${pdp") != std::string::npos;
    CHECK(indexed == (m.bearer == BearerSyntax::indexed));
  }
}

TEST_CASE("models: a name is a model of the family or a prefix of one, and a rig slot names one exactly") {
  CHECK(find_model("SIM7000")->family == Family::sim7000);
  CHECK(find_model("SIM7080G")->name == "SIM7080G");
  CHECK(find_model("SIM7800") == nullptr);
  CHECK(model_or_default("SIM7000E").reset_pin);

  test::TempDir dir;
  auto rig = dir.write("rig.xml", R"(<rig name="r"><slot name="s1" model="SIM7080"><virtual/></slot></rig>)");
  try {
    rig::load_rig(rig.string());
    FAIL("a slot's model must be exact");
  } catch (const InputError& e) {
    CHECK(std::string(e.what()).find("unknown model 'SIM7080' (did you mean 'SIM7080G'?)") != std::string::npos);
    CHECK(e.pos().line == 1);
  }
}
