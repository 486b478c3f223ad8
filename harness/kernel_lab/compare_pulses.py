#!/usr/bin/python3
"""compare_pulses.py PULSES: the low pulses athil_gpio_bridge timed on the kernel's side of the
wire against those the virtual module timed on its own, pin by pin. Exit 1 when they differ in
number, or in width by more than the tolerance, or when no pulse was seen at all."""
import sys

TOLERANCE_MS = 25.0  # plus 2 % of the width


def main(path):
    kernel, module = {}, {}
    for line in open(path, encoding="utf-8"):
        words = line.split()
        if words[:1] == ["kernel"]:
            kernel[words[1]] = [float(w) for w in words[2:]]
        elif words[:2] == ["module", "pulses"]:
            # module pulses <pin> <count> <width us>...
            module[words[2]] = [int(w) / 1000.0 for w in words[4:]]
    if not kernel or not any(kernel.values()):
        print(f"{path}: no pulse seen")
        return 1
    bad = 0
    for pin, widths in kernel.items():
        theirs = module.get(pin, [])
        print(f"{pin}: kernel {widths} module {theirs}")
        if len(widths) != len(theirs):
            print(f"{pin}: {len(widths)} pulse(s) on the kernel's side, {len(theirs)} at the module")
            bad += 1
            continue
        for k, m in zip(widths, theirs):
            if abs(k - m) > TOLERANCE_MS + 0.02 * m:
                print(f"{pin}: {k:.1f} ms on the kernel's side, {m:.1f} ms at the module")
                bad += 1
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
