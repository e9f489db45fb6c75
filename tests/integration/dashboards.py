#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Checks the Grafana dashboards with pytest (the checks: test_dashboards.py).

  dashboards.py lint DASHBOARD.json...
      structure: import fields, variables, unique ids, no overlapping panels,
      datasource references, a unit on every panel.
  dashboards.py queries PROMETHEUS_URL DASHBOARD.json...
      runs every variable and panel query against a real Prometheus, with
      the variables expanded; fails on an error or an empty result.
Exits with pytest's status, after its summary line.
"""
import sys

# Importing the runner beside this script must leave no __pycache__ in the
# source tree.
sys.dont_write_bytecode = True
from pytest_cli import exec_pytest  # noqa: E402


def main(argv):
    if len(argv) >= 2 and argv[0] == "lint":
        test, options, paths = "TestLint", [], argv[1:]
    elif len(argv) >= 3 and argv[0] == "queries":
        test, paths = "TestQueries", argv[2:]
        options = ["--prometheus", argv[1]]
    else:
        print(__doc__)
        return 2
    options += ["--dashboard=" + path for path in paths]
    exec_pytest("test_dashboards.py::" + test, options)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
