#!/usr/bin/env python3
"""A person at a terminal: `athil sim --model SIM7000G` opened with picocom and typed at, its
PWRKEY pressed from a second terminal with `athil pin`.

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
    sim = subprocess.Popen([athil, "sim", "--model", "SIM7000G", "--time-scale", "0.05", "--link", link],
                           stdout=subprocess.PIPE, text=True)
    try:
        for line in sim.stdout:
            if line.strip() == "ready":
                break
        term = pexpect.spawn("picocom", ["-b", "115200", "-q", link], timeout=10)
        # The second terminal: hold PWRKEY (1 s at time scale 0.05 is 50 ms).
        pin = subprocess.run([athil, "pin", link, "press", "pwrkey", "100ms"], capture_output=True, text=True, timeout=10)
        if pin.returncode != 0 or "pwrkey held low for 100ms" not in pin.stdout:
            sys.exit(f"FAIL: athil pin: {pin.returncode} {pin.stdout} {pin.stderr}")
        status = subprocess.run([athil, "pin", link, "get", "status"], capture_output=True, text=True, timeout=10)
        # A host sends AT until the module answers: it may still be booting, and a SIM7000
        # autobauding loses the first AT.
        for _ in range(20):
            term.send(b"AT\r")
            if term.expect([b"OK\r\n", pexpect.TIMEOUT], timeout=0.5) == 0:
                break
        else:
            sys.exit("FAIL: no OK to AT within 10 s")
        term.send(b"AT+GMR\r")
        term.expect(rb"AT\+GMR\r\r\nRevision:1529B08SIM7000G\r\n\r\nOK\r\n")
        term.send(b"AT+CGMM\r")
        term.expect(rb"SIMCOM_SIM7000G\r\n\r\nOK\r\n")
        status = subprocess.run([athil, "pin", link, "get", "status"], capture_output=True, text=True, timeout=10)
        if status.stdout.strip() != "status high":
            sys.exit(f"FAIL: athil pin get status said {status.stdout!r} {status.stderr!r} while the module answers")
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
print("athil pin pressed PWRKEY; picocom typed AT, AT+GMR, AT+CGMM, AT+BOGUS and read the module's answers")
