#!/usr/bin/python3
"""usb_replug.py QMP_SOCKET PORT_LINK LOG

The USB cable between a virtual module on the lab's host and the guest: while the module is on
(it publishes its pty at PORT_LINK), QEMU has a usb-serial device (an FTDI adapter, ttyUSB0 in
the guest) connected to that pty; when the module powers off (the link goes), the device is
unplugged through QMP, so the guest's kernel really removes the port, and plugged in again,
on the new pty, when the module has booted. Runs until SIGTERM; LOG lists each plug and unplug."""
import json
import os
import signal
import socket
import sys
import time

POLL_S = 0.005


class Qmp:
    def __init__(self, path):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        for _ in range(600):
            try:
                self.sock.connect(path)
                break
            except OSError:
                time.sleep(0.05)
        else:
            raise SystemExit(f"usb_replug: no QMP at {path}")
        self.file = self.sock.makefile("rw", encoding="utf-8")
        json.loads(self.file.readline())  # the greeting
        self.execute("qmp_capabilities")

    def execute(self, command, **arguments):
        self.file.write(json.dumps({"execute": command, "arguments": arguments}) + "\n")
        self.file.flush()
        while True:
            reply = json.loads(self.file.readline())
            if "event" in reply:
                continue
            if "error" in reply:
                raise RuntimeError(f"{command}: {reply['error'].get('desc')}")
            return reply.get("return")


def main(qmp_path, link, log_path):
    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
    qmp = Qmp(qmp_path)
    log = open(log_path, "a", encoding="utf-8")
    plugged, generation = None, 0
    while not stop:
        pty = os.path.realpath(link) if os.path.exists(link) else None
        if pty != plugged:
            if plugged:
                qmp.execute("device_del", id="usbser")
                # The device is gone once QEMU no longer has it; its chardev is released a little
                # later (then closed: the old pty's slave is not held open).
                wait_gone(qmp)
                retry(lambda: qmp.execute("chardev-remove", id=f"usbmod{generation}"))
                print(f"{time.monotonic():.3f} unplugged {plugged}", file=log, flush=True)
            plugged = None
            if pty and plug(qmp, pty, generation + 1):
                generation += 1
                plugged = pty
                print(f"{time.monotonic():.3f} plugged {pty}", file=log, flush=True)
        time.sleep(POLL_S)


def plug(qmp, pty, generation):
    """False when the pty went again before QEMU could open it (the module powered off at once)."""
    try:
        qmp.execute("chardev-add", id=f"usbmod{generation}", backend={"type": "serial", "data": {"device": pty}})
    except RuntimeError:
        return False
    qmp.execute("device_add", driver="usb-serial", id="usbser", chardev=f"usbmod{generation}", bus="xhci.0")
    return True


def retry(action, tries=400):
    for _ in range(tries - 1):
        try:
            return action()
        except RuntimeError:
            time.sleep(POLL_S)
    return action()


def wait_gone(qmp):
    for _ in range(2000):
        try:
            qmp.execute("qom-get", path="/machine/peripheral/usbser", property="type")
        except RuntimeError:
            return
        time.sleep(POLL_S)
    raise SystemExit("usb_replug: QEMU did not remove the USB device")


if __name__ == "__main__":
    if len(sys.argv) != 4:
        raise SystemExit("usage: usb_replug.py QMP_SOCKET PORT_LINK LOG")
    main(*sys.argv[1:])
