#pragma once
// A Boost.Process initializer: the child leads a process group of its own, so that a
// terminal's Ctrl-C (sent to the runner's group) does not reach it and the group can be killed
// whole, the children it started included. Only for the few files that include Boost.Process.
#include <unistd.h>

#include <boost/process/extend.hpp>

namespace athil::rig {

struct OwnProcessGroup : boost::process::extend::handler {
  template <class Executor>
  void on_exec_setup(Executor&) const {
    ::setpgid(0, 0);
  }
};

}  // namespace athil::rig
