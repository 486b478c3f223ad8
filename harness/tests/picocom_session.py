#!/usr/bin/env python3
"""A person at a terminal: `athil sim --power-on` opened with picocom and typed at.

Exit 77 (skipped) when picocom or python3-pexpect is missing.
"""
import os
import shutil
import subprocess
import sys
import tempfile

try:
    import pexpect
except ImportError:
    print("SKIP: python3-pexpect is not installed")
    sys.exit(77)
if not shutil.which("picocom"):
    print("SKIP: picocom is not installed")
    sys.exit(77)

athil = sys.argv[1]
with tempfile.TemporaryDirectory() as tmp:
    link = os.path.join(tmp, "module.tty")
    sim = subprocess.Popen([athil, "sim", "--model", "SIM7080G", "--power-on", "--time-scale", "0.05", "--link", link],
                           stdout=subprocess.PIPE, text=True)
    try:
        for line in sim.stdout:
            if line.strip() == "ready":
                break
        term = pexpect.spawn("picocom", ["-b", "115200", "-q", link], timeout=10)
        # A host sends AT until the module answers: it may still be booting.
        for _ in range(20):
            term.send(b"AT\r")
            if term.expect([b"OK\r\n", pexpect.TIMEOUT], timeout=0.5) == 0:
                break
        else:
            sys.exit("FAIL: no OK to AT within 10 s")
        term.send(b"AT+GMR\r")
        term.expect(rb"AT\+GMR\r\r\nRevision:1951B02SIM7080G\r\n\r\nOK\r\n")
        term.send(b"AT+CGMM\r")
        term.expect(rb"SIMCOM_SIM7080\r\n\r\nOK\r\n")
        term.send(b"AT+BOGUS\r")
        term.expect(rb"ERROR\r\n")
        term.sendcontrol("a")
        term.sendcontrol("x")
        term.expect(pexpect.EOF)
    finally:
        sim.terminate()
        sim.wait(timeout=10)
    if os.path.exists(link):
        sys.exit("FAIL: the sim left its link behind")
print("picocom typed AT, AT+GMR, AT+CGMM, AT+BOGUS and read the module's answers")
