#!/usr/bin/env bash
# Every shipped scenario and fixture validates against scenarios/scenario.xsd, the schema
# editors use; exit 77 (skipped) without xmllint.
set -u
command -v xmllint >/dev/null || { echo "SKIP: xmllint is not installed (libxml2-utils)"; exit 77; }
files=$(find scenarios fixtures -name '*.xml' | sort)
[ -n "$files" ] || { echo "FAIL: no scenario or fixture found"; exit 1; }
# shellcheck disable=SC2086
xmllint --noout --schema scenarios/scenario.xsd $files
