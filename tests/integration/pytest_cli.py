# SPDX-License-Identifier: MIT
"""Runs one of the pytest modules of this directory in place of a script.

dashboards.py and hostile.py keep the command lines the shell tests call;
they translate them into pytest options and hand over to pytest here.
"""
import importlib.util
import os
import sys

# python3-pytest installs into Debian's interpreter, while the python3 on
# PATH may be another build that cannot import it.
DEBIAN_PYTHON = "/usr/bin/python3"


def exec_pytest(test, options):
    """Replaces this process with pytest on TEST and OPTIONS.

    TEST is a file of this directory, with an optional "::Class" to select.
    The exit status is pytest's: 0 when every check passed.  Never returns.
    --strict-live (conftest.py) makes a missing live option, a skipped test
    or a run with no test fail, so that a shell script that hands over its
    options wrongly cannot pass with nothing checked.
    """
    python = sys.executable
    if importlib.util.find_spec("pytest") is None:
        python = DEBIAN_PYTHON
    here = os.path.dirname(os.path.abspath(__file__))
    # -B and no cache: the checks run from the source tree and must leave
    # no __pycache__ or .pytest_cache behind in it.
    os.execv(python, [python, "-B", "-m", "pytest", "-q", "--tb=line",
                      "-p", "no:cacheprovider", "--strict-live",
                      os.path.join(here, test), *options])
