#!/usr/bin/env bash
# Runs the bundled FOTA scenario twice (passing, and failing with a delta for another
# revision) and hands both reports to real consumers: xmllint against the schema the Jenkins
# xunit plugin validates with (from ../shared), and Debian's python3-junitparser.
# Exit 77 (skipped) when neither consumer is available.
set -u
athil=$1
shared=$2
python=${3:-python3}
schema=$shared/reference/junit/jenkins-xunit-junit-10.xsd
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

"$athil" run --slot v1 --junit "$tmp/pass/junit.xml" scenarios/fota/http-upgrade.xml >"$tmp/pass.log" 2>&1
rc=$?
[ "$rc" -eq 0 ] || { echo "FAIL: passing run exited $rc"; cat "$tmp/pass.log"; exit 1; }
"$athil" run --slot v1 --junit "$tmp/fail/junit.xml" -D delta_from=1951B01SIM7080G scenarios/fota/http-upgrade.xml >"$tmp/fail.log" 2>&1
rc=$?
[ "$rc" -eq 1 ] || { echo "FAIL: failing run exited $rc, expected 1"; cat "$tmp/fail.log"; exit 1; }

# Rounds of --repeat, in both flavours: the strict one must validate too.
for flavour in strict extended; do
  "$athil" run --slot v1 --junit "$tmp/$flavour/junit.xml" --junit-flavour $flavour --repeat 2 scenarios/at/identity.xml >"$tmp/$flavour.log" 2>&1 ||
    { echo "FAIL: the $flavour --repeat run exited $?"; cat "$tmp/$flavour.log"; exit 1; }
done

checked=0
if [ -f "$schema" ] && command -v xmllint >/dev/null; then
  for r in pass fail strict; do
    xmllint --noout --schema "$schema" "$tmp/$r/junit.xml" || { echo "FAIL: $r report does not validate"; exit 1; }
  done
  checked=$((checked + 1))
else
  echo "note: schema check skipped: $schema or xmllint is missing (../shared is not in a user's clone)"
fi

if "$python" -c 'import junitparser' 2>/dev/null; then
  "$python" - "$tmp/pass/junit.xml" "$tmp/fail/junit.xml" <<'PY' || exit 1
import sys
from junitparser import JUnitXml, Failure
def counts(path):
    xml = JUnitXml.fromfile(path)
    cases = [c for suite in xml for c in suite]
    failed = [c for c in cases if any(isinstance(r, Failure) for r in c.result)]
    return len(cases), failed
n, failed = counts(sys.argv[1])
assert n == 1 and not failed, f"passing report read as {n} cases, {len(failed)} failed"
n, failed = counts(sys.argv[2])
assert n == 1 and len(failed) == 1, f"failing report read as {n} cases, {len(failed)} failed"
text = failed[0].result[0].message
assert "+CFOTA: 7" in text, f"failure message lacks +CFOTA: 7: {text}"
print("junitparser reads both reports with the right counts")
PY
  "$python" - "$tmp/strict/junit.xml" "$tmp/extended/junit.xml" <<'PY' || exit 1
import sys
from junitparser import JUnitXml
for path in sys.argv[1:]:
    cases = [c for suite in JUnitXml.fromfile(path) for c in suite]
    assert [c.name for c in cases] == ["at-identity"] * 2, f"{path}: {[c.name for c in cases]}"
    assert len({c.classname for c in cases}) == 2, f"{path}: rounds share a classname: {[c.classname for c in cases]}"
    extended = path.endswith("extended/junit.xml")
    for round, c in enumerate(cases, 1):
        props = {p.get("name"): p.get("value") for p in c._elem.iterfind("properties/property")}
        out = c.system_out or ""
        if extended:
            assert c._elem.get("file") == "scenarios/at/identity.xml", c._elem.attrib
            assert props.get("round") == str(round) and props.get("scenario") == "at-identity", props
        else:
            assert c._elem.get("file") is None and not props, "strict has no file attribute or testcase properties"
            assert f"[[PROPERTY|round={round}]]" in out, out[:300]
print("junitparser reads one test name across rounds, in both flavours")
PY
  checked=$((checked + 1))
else
  echo "note: junitparser check skipped: python3-junitparser is not installed"
fi

[ "$checked" -gt 0 ] || { echo "SKIP: no report consumer available"; exit 77; }
echo "reports checked by $checked consumer(s)"
