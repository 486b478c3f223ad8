# Read by CTest after the discovered doctest cases (TEST_INCLUDE_FILES). These tests each run
# a whole rack of virtual slots (8 modules, their instruments, a broker), which loads both cores
# of a small machine by itself. Two at once are a host too slow for the rack's time scale (a
# press held past its bound, a module timer run out), not a harness fault: they take turns.
set_tests_properties(
    "the library passes on a rack of 8 slots behind 16 ms USB-serial adapters"
    "the library passes on a rack of 8 slots behind 40 ms of latency, as ser2net over a LAN"
    "rack of 8: every verdict class, a flaky retry, a quarantine and an unreachable slot, in one report that consumers read"
    "e2e: the default run, smoke and nightly on the virtual rack, passes on all four models"
    PROPERTIES RESOURCE_LOCK whole_rack)
