#!/usr/bin/env python3
"""A person at a terminal: `athil sim --model SIM7000G` opened with picocom and typed at, its
PWRKEY pressed from a second terminal with `athil pin`; then the README's `athil sim --power-on`,
whose boot URCs wait for picocom however late it connects.

Exit 77 (skipped) when picocom or python3-pexpect is missing.
"""
import os
import shutil
import subprocess
import sys
import tempfile
import time

try:
    import pexpect
except ImportError:
    print("SKIP: python3-pexpect is not installed")
    sys.exit(77)
if not shutil.which("picocom"):
    print("SKIP: picocom is not installed")
    sys.exit(77)

athil = sys.argv[1]


def start_sim(args):
    sim = subprocess.Popen([athil, "sim", *args], stdout=subprocess.PIPE, text=True)
    banner = []
    for line in sim.stdout:
        banner.append(line.strip())
        if line.strip() == "ready":
            return sim, banner
    sys.exit(f"FAIL: athil sim ended before 'ready': {banner}")


def stop(sim):
    sim.terminate()
    sim.wait(timeout=10)


def quit_picocom(term):
    term.sendcontrol("a")
    term.sendcontrol("x")
    term.expect(pexpect.EOF)


def status_of(link):
    return subprocess.run([athil, "pin", link, "get", "status"], capture_output=True, text=True, timeout=10).stdout.strip()


with tempfile.TemporaryDirectory() as tmp:
    link = os.path.join(tmp, "module.tty")
    sim, _ = start_sim(["--model", "SIM7000G", "--time-scale", "0.05", "--link", link])
    try:
        term = pexpect.spawn("picocom", ["-b", "115200", "-q", link], timeout=10)
        # The second terminal: hold PWRKEY (1 s at time scale 0.05 is 50 ms).
        pin = subprocess.run([athil, "pin", link, "press", "pwrkey", "100ms"], capture_output=True, text=True, timeout=10)
        if pin.returncode != 0 or "pwrkey held low for 100ms" not in pin.stdout:
            sys.exit(f"FAIL: athil pin: {pin.returncode} {pin.stdout} {pin.stderr}")
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
        if status_of(link) != "status high":
            sys.exit(f"FAIL: athil pin get status said {status_of(link)!r} while the module answers")
        term.send(b"AT+BOGUS\r")
        term.expect(rb"ERROR\r\n")
        quit_picocom(term)
    finally:
        stop(sim)
    if os.path.exists(link):
        sys.exit("FAIL: the sim left its link behind")

# The README's way: a powered module to type at. Its boot (under 2 s, 0.1 s at this scale) would
# be long over by the time picocom connects; the module waits for the port to be opened.
with tempfile.TemporaryDirectory() as tmp:
    link = os.path.join(tmp, "m1")
    sim, banner = start_sim(["--power-on", "--time-scale", "0.05", "--link", link])
    try:
        if "power on when a program first opens the port" not in banner:
            sys.exit(f"FAIL: the banner does not say when the module powers on: {banner}")
        time.sleep(1.0)  # ten boots' worth: nothing may happen while nobody has the port open
        if status_of(link) != "status low":
            sys.exit(f"FAIL: the module booted before anyone opened its port (STATUS {status_of(link)!r})")
        term = pexpect.spawn("picocom", ["-b", "115200", "-q", link], timeout=10)
        for urc in (rb"RDY\r\n", rb"\+CPIN: READY\r\n", rb"SMS Ready\r\n"):
            term.expect(urc)
        if status_of(link) != "status high":
            sys.exit("FAIL: STATUS is not high after the boot URCs")
        quit_picocom(term)
    finally:
        stop(sim)

print("athil pin pressed PWRKEY; picocom typed AT, AT+GMR, AT+CGMM, AT+BOGUS and read the module's answers;")
print("with --power-on, picocom connecting 1 s late read the boot URCs")
