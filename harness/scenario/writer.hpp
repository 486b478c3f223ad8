#pragma once
// A scenario written out as XML from a draft (plain data), for tools that make scenarios
// (athil scaffold): the XML stays in this folder, escaped by pugixml.
#include <string>
#include <utility>
#include <vector>

namespace athil::scenario {

struct DraftAction {
  std::string element;  // send, expect, urc, ...
  std::vector<std::pair<std::string, std::string>> attributes;
  std::string text;
  std::string comment;  // written before the element
};

struct DraftBlock {
  std::string element;  // setup, step or teardown
  std::string name;     // a step's name
  std::vector<DraftAction> actions;
};

struct ScenarioDraft {
  std::string name;
  std::string models;
  std::string tags;
  std::string timeout;
  std::string description;
  std::vector<DraftBlock> blocks;
};

std::string to_xml(const ScenarioDraft& draft);

}  // namespace athil::scenario
