#pragma once
// A first scenario from a session: each command sent, each line the module answered
// expected, each URC waited for with a timeout from the measured time plus a margin. It
// passes against `athil replay` of the same log; the engineer then edits it into the
// reproduction of the field failure.
#include <string>

#include "field/session.hpp"

namespace athil::field {

struct ScaffoldOptions {
  std::string name;    // the scenario's name
  std::string source;  // the log's path, for the description
  std::string models;  // "" to guess from the log (a revision or model line), else all four
};

// The scenario as XML text. Throws InputError when the log makes a scenario larger than
// a scenario file may be, saying which part of the log would fit, or when it shows no command.
std::string scaffold(Session session, const ScaffoldOptions& options);

// The model the log shows (SIMCOM_SIM7070, Revision:...SIM7000E): a model prefix such as
// "SIM7000", or "" when it shows none.
std::string guess_model(const Session& session);

}  // namespace athil::field
