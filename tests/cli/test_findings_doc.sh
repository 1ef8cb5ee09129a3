#!/usr/bin/env bash
# tests/cli/test_findings_doc.sh — docs/findings.md must be exactly what the code's finding registry generates.
set -u
doc="$MA_SOURCE_DIR/docs/findings.md"
if ! diff -u "$doc" <("$MA_BINARY" findings --markdown); then
	echo "docs/findings.md disagrees with the code: regenerate it with 'mailassure findings --markdown > docs/findings.md'"
	echo "0 passed, 1 failed"
	exit 1
fi
echo "1 passed, 0 failed"
