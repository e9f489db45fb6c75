#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Checks that a rendered mixin selects its series with the given matchers.

  dashboards_selectors.py KSM_SELECTOR COLLECTD_SELECTOR DIR

Every metric name in every query of DIR/ksm-*.json (panel targets and template
variables) and every expression of DIR/ksm-*.yml (the rules) is checked: a
ksm_* name, and up, must carry KSM_SELECTOR in its braces; a collectd_ksm_*
name COLLECTD_SELECTOR.  Names with a colon are recorded series, computed
from selected series alone.  Prints the count checked; exits 1 on a name
without its selector, or when there is nothing to check.
"""
import json
import pathlib
import re
import sys

import yaml

NAME = re.compile(r"[A-Za-z_:][A-Za-z0-9_:]*")


def skip_quoted(expr, i):
    """The index after the string literal that starts at EXPR[i]."""
    quote, i = expr[i], i + 1
    while i < len(expr) and expr[i] != quote:
        i += 2 if expr[i] == "\\" else 1
    return i + 1


def closing(expr, i, close):
    """The index of CLOSE after EXPR[i], outside string literals."""
    while i < len(expr) and expr[i] != close:
        i = skip_quoted(expr, i) if expr[i] in "\"'`" else i + 1
    return i


def selectors(expr):
    """(name, matchers or None) of every identifier of PromQL EXPR outside
    strings, braces and range brackets."""
    i = 0
    while i < len(expr):
        if expr[i] in "\"'`":
            i = skip_quoted(expr, i)
        elif expr[i] == "[":
            i = closing(expr, i, "]") + 1
        elif expr[i].isdigit():  # a number, such as 1e3
            i = re.compile(r"[0-9.eE+-]*").match(expr, i).end() or i + 1
        elif (m := NAME.match(expr, i)):
            j = m.end()
            while j < len(expr) and expr[j] == " ":
                j += 1
            if j < len(expr) and expr[j] == "{":
                end = closing(expr, j, "}")
                yield m.group(), expr[j + 1:end]
                i = end + 1
            else:
                yield m.group(), None
                i = m.end()
        else:
            i += 1


def queries(directory):
    """(where, expression) of every query and rule of DIRECTORY."""
    for path in sorted(pathlib.Path(directory).glob("ksm-*.json")):
        board = json.loads(path.read_text())
        for v in board["templating"]["list"]:
            if v["type"] == "query":
                yield "%s: variable %s" % (path.name, v["name"]), v["query"]["query"]
        for p in board["panels"]:
            for t in p.get("targets", []):
                yield "%s: %s" % (path.name, p["title"]), t["expr"]
    for path in sorted(pathlib.Path(directory).glob("ksm-*.yml")):
        for group in yaml.safe_load(path.read_text())["groups"]:
            for r in group["rules"]:
                yield "%s: %s" % (path.name, r.get("alert") or r["record"]), r["expr"]


def main(argv):
    if len(argv) != 3:
        print(__doc__)
        return 2
    ksm, collectd, directory = argv
    checked, bad = 0, 0
    for where, expr in queries(directory):
        for name, matchers in selectors(expr):
            if ":" in name:
                continue
            if name.startswith("collectd_ksm_"):
                want = collectd
            elif name.startswith("ksm_") or name == "up":
                want = ksm
            else:
                continue
            checked += 1
            if matchers is None or want not in matchers:
                print("FAIL: %s: %s without %s in: %s" % (where, name, want, expr))
                bad += 1
    print("%d series selectors checked, %d without their selector" % (checked, bad))
    return 1 if bad or not checked else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
