# SPDX-License-Identifier: MIT
"""Options and shared fixtures for the pytest checks in tests/integration.

The shell scripts start the exporter, collectd and Prometheus; they pass
what the checks need (URLs, ports, process ids, files) as these options,
through dashboards.py and hostile.py.
"""
import pytest

FIGURES = pytest.StashKey[list]()


def pytest_addoption(parser):
    group = parser.getgroup("ksm", "ksm_exporter integration checks")
    group.addoption(
        "--dashboard", action="append", default=[], metavar="JSON",
        help="a Grafana dashboard to check; repeat it for more "
        "(default: every dashboards/*.json of the source tree)")
    group.addoption(
        "--prometheus", metavar="URL",
        help="a Prometheus that scrapes ksm_exporter and collectd; "
        "without it the dashboard query checks are skipped")
    group.addoption(
        "--exporter-port", type=int, metavar="PORT",
        help="the port of a running ksm_exporter on 127.0.0.1; "
        "without it the hostile-client checks are skipped")
    group.addoption(
        "--exporter-pid", type=int, metavar="PID",
        help="that exporter's process id, to see that it stays alive")


def pytest_configure(config):
    config.stash[FIGURES] = []


@pytest.fixture(scope="session")
def figure(pytestconfig):
    """Records a line of measurements for the summary.

    Passing tests print nothing, but the figures (how many connections were
    answered, how fast) are what a reader of the CI log wants to compare
    between runs, so they are printed after the results.
    """
    return pytestconfig.stash[FIGURES].append


def pytest_terminal_summary(terminalreporter, config):
    if config.stash[FIGURES]:
        terminalreporter.section("figures")
        for line in config.stash[FIGURES]:
            terminalreporter.line(line)
