#!/usr/bin/env python3
"""The peer of at_bench: what a pile of pexpect scripts does, the same AT exchanges through
pyserial and pexpect (Debian's python3-serial and python3-pexpect) against the same virtual
module. Prints the CPU seconds of the exchange loop (all, and in user space) and its wall time.

usage: pexpect_exchanges.py PORT BAUD COUNT
"""
import resource
import sys
import time

try:
    import pexpect.fdpexpect
    import serial
except ImportError as e:
    print(f"missing {e.name}: apt-get install python3-pexpect python3-serial")
    sys.exit(77)

port, baud, count = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
line = serial.Serial(port, baud, timeout=0)
child = pexpect.fdpexpect.fdspawn(line.fileno(), timeout=10)
# The process's CPU to the nanosecond (os.times() counts in ticks of 10 ms, a tenth of a round);
# the user-space share from getrusage, which the kernel samples at its tick.
cpu0, user0, wall = time.process_time(), resource.getrusage(resource.RUSAGE_SELF).ru_utime, time.monotonic()
for _ in range(count):
    child.send(b"AT+CSQ\r")
    child.expect(rb"\+CSQ: \d+,\d+\r\n")
    child.expect(rb"OK\r\n")
cpu, user = time.process_time() - cpu0, resource.getrusage(resource.RUSAGE_SELF).ru_utime - user0
print(f"cpu {cpu:.6f} user {user:.6f} wall {time.monotonic() - wall:.6f}")
