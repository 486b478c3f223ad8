#!/usr/bin/env python3
"""A module behind Debian's ser2net: a virtual SIM7080G on a pseudo-terminal, exported by
ser2net in raw mode on loopback, and a scenario run through socket://127.0.0.1:PORT: AT
exchanges, a file written in DOWNLOAD chunks and read back as a binary payload.

Exit 77 (skipped) when ser2net is missing.
"""
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET

ser2net = shutil.which("ser2net") or ("/usr/sbin/ser2net" if os.path.exists("/usr/sbin/ser2net") else None)
if not ser2net:
    print("SKIP: ser2net is not installed (apt-get install ser2net)")
    sys.exit(77)

athil = os.path.abspath(sys.argv[1])

# The module was started with --power-on and may still be booting when the scenario begins:
# a host syncs first (an AT sent during the boot is lost).
SCENARIO = r"""<scenario name="through-ser2net" models="SIM7080G" timeout="2m">
  <setup><sync/></setup>
  <step name="talk">
    <command send="AT"/>
    <command send="AT+GMR" expect="Revision:(.+)" capture="rev"/>
    <check expr="${rev} == '1951B02SIM7080G'"/>
  </step>
  <step name="file">
    <command send="AT+CFSINIT"/>
    <send-file path="blob.txt" chunk="10000" command="AT+CFSWFILE=3,&quot;blob.txt&quot;,{mode},{length},10000"/>
    <command send="AT+CFSGFIS=3,&quot;blob.txt&quot;" expect="\+CFSGFIS: (\d+)" capture="size"/>
    <check expr="${size} == ${sent}"/>
    <send>AT+CFSRFILE=3,"blob.txt",1,22,110</send>
    <expect>+CFSRFILE: 22</expect>
    <expect regex="line 0010\r\nline 0011\r\n"/>
    <expect>OK</expect>
    <command send="AT+CFSTERM"/>
  </step>
</scenario>
"""


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_listener(port, proc, limit=10.0):
    until = time.monotonic() + limit
    while time.monotonic() < until:
        if proc.poll() is not None:
            return False
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return True
        except OSError:
            time.sleep(0.05)
    return False


with tempfile.TemporaryDirectory() as tmp:
    link = os.path.join(tmp, "module.tty")
    procs = []
    try:
        # 0.1, not the virtual rack's 0.02: AT+CFSWFILE's 10 s input timeout must still cover
        # 10,000 bytes through ser2net on a loaded machine (200 ms did not, once).
        sim = subprocess.Popen([athil, "sim", "--model", "SIM7080G", "--time-scale", "0.1", "--power-on", "--link", link],
                               stdout=subprocess.PIPE, text=True)
        procs.append(sim)
        for line in sim.stdout:
            if line.strip() == "ready":
                break
        # ser2net binds the port itself: one that was free a moment ago may be taken by then,
        # so a few ports are tried (a property of the test machine, not of athil or ser2net).
        for attempt in range(5):
            port = free_port()
            proc = subprocess.Popen([ser2net, "-n", "-u",
                                     "-Y", "connection: &module",
                                     "-Y", f"  accepter: tcp,127.0.0.1,{port}",
                                     "-Y", f"  connector: serialdev,{link},115200n81,local",
                                     "-Y", "  options:",
                                     "-Y", "    kickolduser: true"],
                                    stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
            if wait_for_listener(port, proc):
                procs.append(proc)
                break
            proc.kill()
            proc.wait()
        else:
            sys.exit("FAIL: ser2net did not listen on loopback")

        os.makedirs(os.path.join(tmp, "fixtures"))
        with open(os.path.join(tmp, "fixtures", "blob.txt"), "w", newline="") as f:
            f.write("".join(f"line {i:04d}\r\n" for i in range(2500)))  # 27,500 bytes, CR LF inside
        with open(os.path.join(tmp, "scenario.xml"), "w") as f:
            f.write(SCENARIO)
        with open(os.path.join(tmp, "rig.xml"), "w") as f:
            f.write(f'<rig name="ser2net" time-scale="0.1">\n'
                    f'  <slot name="net1" model="SIM7080G" firmware="1951B02SIM7080G">\n'
                    f'    <serial port="socket://127.0.0.1:{port}" baud="115200"/>\n'
                    f'  </slot>\n</rig>\n')
        junit = os.path.join(tmp, "out", "junit.xml")
        run = subprocess.run([athil, "run", "--rig", os.path.join(tmp, "rig.xml"), "--fixtures", os.path.join(tmp, "fixtures"),
                              "--junit", junit, os.path.join(tmp, "scenario.xml")],
                             capture_output=True, text=True, timeout=300)
        if run.returncode != 0:
            sys.exit(f"FAIL: athil run exited {run.returncode}\n{run.stdout}\n{run.stderr}\n{open(junit).read() if os.path.exists(junit) else ''}")
        suite = ET.parse(junit).getroot().find("testsuite")
        props = {p.get("name"): p.get("value") for p in suite.find("properties")}
        if props.get("port") != f"socket://127.0.0.1:{port}":
            sys.exit(f"FAIL: the report names port {props.get('port')!r}")
        case = suite.find("testcase")
        if case is None or case.find("failure") is not None or case.find("error") is not None:
            sys.exit("FAIL: the scenario did not pass:\n" + open(junit).read())
        print(f"PASS: a scenario through ser2net on 127.0.0.1:{port}, 27,500 bytes written and read back")
    finally:
        for p in reversed(procs):
            p.terminate()
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
