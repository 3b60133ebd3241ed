#!/usr/bin/env python3
"""Summarise VSTest TRX files: print failed test names with the start of their
error messages (so a CI log's tail tells why), then as the last line
'N passed, N failed, N skipped'. Exit 0 when at least one test ran and none
failed, 1 otherwise.

Usage: trx_summary.py FILE.trx [FILE.trx ...]
"""
import sys
import xml.etree.ElementTree as ET

NS = "{http://microsoft.com/schemas/VisualStudio/TeamTest/2010}"
FAILED_OUTCOMES = {"Failed", "Error", "Timeout", "Aborted"}
SKIPPED_OUTCOMES = {"NotExecuted", "Inconclusive", "NotRunnable", "Pending", "Disconnected"}


def local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def error_message(result: ET.Element, limit: int = 8) -> list[str]:
    """The first lines of a result's error message (Output/ErrorInfo/Message), or none."""
    message = next((e for e in result.iter() if local(e.tag) == "Message"), None)
    if message is None or not (message.text or "").strip():
        return []
    lines = [line.rstrip()[:300] for line in message.text.strip().splitlines() if line.strip()]
    return lines[:limit] + (["…"] if len(lines) > limit else [])


def main(paths: list[str]) -> int:
    passed = failed = skipped = 0
    failed_names: list[str] = []
    by_class: dict[str, list[int]] = {}
    problems: list[str] = []
    for path in paths:
        try:
            root = ET.parse(path).getroot()
        except (OSError, ET.ParseError) as exc:
            problems.append(f"cannot read {path}: {exc}")
            continue
        results = [e for e in root.iter() if local(e.tag) == "UnitTestResult"]
        if results:
            for result in results:
                outcome = result.get("outcome", "")
                name = result.get("testName", "?")
                # "Ns.Class.Method(arg: ...)" -> "Ns.Class"
                test_class = name.split("(", 1)[0].rsplit(".", 1)[0]
                tally = by_class.setdefault(test_class, [0, 0, 0])
                tally[0 if outcome == "Passed" else 2 if outcome in SKIPPED_OUTCOMES or outcome == "" else 1] += 1
                if outcome == "Passed":
                    passed += 1
                elif outcome in FAILED_OUTCOMES:
                    failed += 1
                    failed_names.append(f"{name} ({outcome})")
                    failed_names.extend(f"      {line}" for line in error_message(result))
                elif outcome in SKIPPED_OUTCOMES or outcome == "":
                    skipped += 1
                else:
                    failed += 1
                    failed_names.append(f"{name} ({outcome})")
                    failed_names.extend(f"      {line}" for line in error_message(result))
        else:
            # No individual results: fall back to the ResultSummary counters.
            counters = next((e for e in root.iter() if local(e.tag) == "Counters"), None)
            if counters is not None:
                def count(attr: str) -> int:
                    return int(counters.get(attr, "0") or 0)
                passed += count("passed")
                failed += count("failed") + count("error") + count("timeout") + count("aborted")
                skipped += count("notExecuted") + count("inconclusive") + count("notRunnable")

    # Which areas ran (e.g. that the PostgreSQL tests really ran), one line per test class.
    for test_class in sorted(by_class):
        p, f, k = by_class[test_class]
        print(f"  {test_class}: {p} passed, {f} failed, {k} skipped")
    for problem in problems:
        print(f"test: {problem}")
    if failed_names:
        print("Failed tests:")
        for name in failed_names:
            print(f"  {name}")
    print(f"{passed} passed, {failed} failed, {skipped} skipped")
    ran = passed + failed
    return 0 if failed == 0 and ran > 0 and not problems else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
