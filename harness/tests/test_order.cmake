# Read by CTest after the discovered doctest cases (TEST_INCLUDE_FILES), so that it can name
# them. A renamed test must be renamed here too: tests.order_names fails on a name no test has.

# These tests each run a whole rack of virtual slots (8 modules, their instruments, a broker),
# which loads both cores of a small machine by itself. Two at once are a host too slow for the
# rack's time scale (a press held past its bound, a module timer run out), not a harness fault:
# they take turns.
set(whole_rack_tests
    "the library passes on a rack of 8 slots behind 16 ms USB-serial adapters"
    "the library passes on a rack of 8 slots behind 40 ms of latency, as ser2net over a LAN"
    "rack of 8: every verdict class, a flaky retry, a quarantine and an unreachable slot, in one report that consumers read"
    "e2e: the default run, smoke and nightly on the virtual rack, passes on all four models")
set_tests_properties(${whole_rack_tests} PROPERTIES RESOURCE_LOCK whole_rack)

# The slowest start first. A fresh clone's CTest has no timings of its own and starts tests in
# the order they were added: the two latency racks, added last and taking turns, ran one after
# the other with one core idle for a minute and a half. A cost is the test's seconds in the
# default suite on a 2-core machine; CTest's own timings take over once it has some.
set(test_costs
    91 "the library passes on a rack of 8 slots behind 40 ms of latency, as ser2net over a LAN"
    84 "the library passes on a rack of 8 slots behind 16 ms USB-serial adapters"
    79 "e2e: the default run, smoke and nightly on the virtual rack, passes on all four models"
    44 "library self-test under 16 ms of USB-serial latency: FOTA faults fail the upgrades with the cause on each model, a stalled updater is recovered by the supply, refusals still pass"
    43 "library self-test: FOTA faults fail the upgrades with the cause on each model, a stalled updater is recovered by the supply, refusals still pass"
    25 "library self-test: a hung or browned-out module fails the scenario it hangs in and is brought back, a URC storm fails nothing, late answers are named"
    25 "library self-test under 16 ms of USB-serial latency: a hung or browned-out module fails the scenario it hangs in and is brought back, a URC storm fails nothing, late answers are named"
    18 "library self-test under 16 ms of USB-serial latency: each fault fails the scenarios that claim to catch it, and only those"
    17 "library self-test: each fault fails the scenarios that claim to catch it, and only those"
    16 "results store: a run killed outright keeps every testcase that ended, and the store still reads and records"
    12 "field logs are bounded input: a 50 KB line is read cut, not a crash, and a 50 MB log imports and scaffolds within three times its size"
    12 "results store: a revision change with a fault in the second run shows in history, and diff gates on it per run and per revision"
    12 "results store: another host's report folder and a JUnit file are imported once each, and a bad one is refused with where"
    11 "the run's page in Chromium: the failing testcase is linked from the top and open with its timeline, and it fits 390 px and 1280 px"
    10 "rack of 8: every verdict class, a flaky retry, a quarantine and an unreachable slot, in one report that consumers read")
list(LENGTH test_costs length)
math(EXPR last "${length} - 1")
foreach(i RANGE 0 ${last} 2)
  math(EXPR next "${i} + 1")
  list(GET test_costs ${i} cost)
  list(GET test_costs ${next} name)
  set_tests_properties("${name}" PROPERTIES COST ${cost})
endforeach()
