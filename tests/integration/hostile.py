#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Hostile clients against a running ksm_exporter on 127.0.0.1:PORT.

Usage: hostile.py PORT PID
Runs the pytest checks of test_hostile.py on that exporter and exits with
pytest's status; the figures (answers, timings) follow its summary.
"""
import sys

# Importing the runner beside this script must leave no __pycache__ in the
# source tree.
sys.dont_write_bytecode = True
from pytest_cli import exec_pytest  # noqa: E402


def main(argv):
    if len(argv) != 2:
        print(__doc__)
        return 2
    exec_pytest("test_hostile.py",
                ["--exporter-port", argv[0], "--exporter-pid", argv[1]])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
