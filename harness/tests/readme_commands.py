#!/usr/bin/env python3
"""Runs the commands README.md tells a new user to type, as written.

The quick start's block and the "After the first build" block are read from README.md (and
the first scenario of scenarios/README.md is run as written); each
command runs in a scratch folder that has the checkout's scenarios/, fixtures/ and rigs/ and
build/athil (so reports/ and files land there), and must exit 0. Two substitutions only: the
binary under test for build/athil, and a scratch path for /tmp/m1. A long-running command
(`athil sim`) is started, waited for until it says `ready`, and stopped after the commands
that follow it. The commands that cannot run here are listed below with the reason, and the
test fails if README.md no longer has one of them (the list must stay true) or if it finds
too few commands to mean anything.

usage: readme_commands.py ATHIL_EXE SOURCE_DIR
"""
import os
import re
import shlex
import signal
import subprocess
import sys
import tempfile

# Commands that need what this machine does not have, with why.
NOT_HERE = {
    "harness/setup.sh run": "installs packages and builds: what .ci/run and harness/fresh_debian.sh run",
    "harness/setup.sh test": "installs packages, builds and runs this very suite: what .ci/run runs",
    "build/athil rig check rigs/my-rack.xml": "needs a real rack: rigs/my-rack.xml is the reader's own rig file",
}
LONG_RUNNING = ("build/athil sim",)
TIMEOUT_S = 300


def blocks_after(text, marker):
    """The first ```sh block after the line containing `marker`."""
    at = text.find(marker)
    if at < 0:
        sys.exit(f"README.md has no '{marker}'")
    m = re.search(r"```sh\n(.*?)```", text[at:], re.S)
    if not m:
        sys.exit(f"README.md has no sh block after '{marker}'")
    return m.group(1)


def commands(block):
    out = []
    for line in block.splitlines():
        line = re.sub(r"\s+#.*$", "", line).strip()
        if line and not line.startswith("#"):
            out.append(line)
    return out


def main():
    exe, source = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
    readme = open(os.path.join(source, "README.md"), encoding="utf-8").read()
    found = commands(blocks_after(readme, "## Quick start")) + commands(blocks_after(readme, "After the first build"))
    missing = [c for c in NOT_HERE if c not in found]
    if missing:
        sys.exit(f"README.md no longer has {missing}: update NOT_HERE in {__file__}")
    runnable = [c for c in found if c not in NOT_HERE]
    if len(runnable) < 5:
        sys.exit(f"only {len(runnable)} runnable commands found in README.md: is the extraction broken? {found}")
    for c, why in NOT_HERE.items():
        print(f"not run here: {c}  ({why})")

    with tempfile.TemporaryDirectory(prefix="athil-readme-") as scratch:
        for d in ("scenarios", "fixtures", "rigs"):
            os.symlink(os.path.join(source, d), os.path.join(scratch, d))
        os.mkdir(os.path.join(scratch, "build"))
        os.symlink(os.path.abspath(exe), os.path.join(scratch, "build", "athil"))
        background = []
        failures = []
        try:
            for c in runnable:
                argv = [a.replace("/tmp/m1", os.path.join(scratch, "m1")) for a in shlex.split(c)]
                print(f"$ {c}", flush=True)
                if c.startswith(LONG_RUNNING):
                    p = subprocess.Popen(argv, cwd=scratch, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True)
                    background.append(p)
                    lines = []
                    for line in p.stdout:
                        lines.append(line)
                        if line.strip() == "ready":
                            break
                    else:
                        failures.append(f"{c}: ended before it was ready: {''.join(lines)}")
                    continue
                r = subprocess.run(argv, cwd=scratch, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=TIMEOUT_S)
                print(r.stdout[-3000:])
                if r.returncode != 0:
                    failures.append(f"{c}: exit {r.returncode}")
            # The first scenario of scenarios/README.md runs as written too.
            guide = open(os.path.join(source, "scenarios", "README.md"), encoding="utf-8").read()
            m = re.search(r"```xml\n(.*?)```", guide[guide.index("## Your first scenario"):], re.S)
            first = os.path.join(scratch, "first-scenario.xml")
            with open(first, "w", encoding="utf-8") as f:
                f.write(m.group(1))
            print("$ build/athil run first-scenario.xml  (the first scenario of scenarios/README.md)", flush=True)
            r = subprocess.run([os.path.join(scratch, "build", "athil"), "run", first, "--junit", os.path.join(scratch, "first", "junit.xml")],
                               cwd=scratch, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=TIMEOUT_S)
            print(r.stdout[-2000:])
            if r.returncode != 0:
                failures.append(f"the first scenario of scenarios/README.md: exit {r.returncode}")
        finally:
            for p in background:
                os.killpg(p.pid, signal.SIGTERM)
                if p.wait(timeout=30) not in (0, -signal.SIGTERM):
                    failures.append(f"{shlex.join(p.args)}: stopped with {p.returncode}")
    if failures:
        sys.exit("README.md commands that did not work as written:\n  " + "\n  ".join(failures))
    print(f"{len(runnable)} commands of README.md ran as written")


if __name__ == "__main__":
    main()
