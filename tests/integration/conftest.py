# SPDX-License-Identifier: MIT
"""Options and shared fixtures for the pytest checks in tests/integration.

The shell scripts start the exporter, collectd and Prometheus; they pass
what the checks need (URLs, ports, process ids, files) as these options,
through dashboards.py and hostile.py.

Those two always add --strict-live: then a missing live option fails its
tests instead of skipping them, and the run fails unless every collected
test ran and none was skipped.  Without it (pytest run by hand on this
directory) the live checks are skipped when their options are missing.
"""
import pytest

FIGURES = pytest.StashKey[list]()
OUTCOMES = pytest.StashKey[dict]()


def pytest_addoption(parser):
    group = parser.getgroup("ksm", "ksm_exporter integration checks")
    group.addoption(
        "--dashboard", action="append", default=[], metavar="JSON",
        help="a Grafana dashboard to check; repeat it for more "
        "(default: every dashboards/ksm-*.json of the source tree)")
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
    group.addoption(
        "--strict-live", action="store_true",
        help="fail, rather than skip, a check whose live option is missing, "
        "and fail the run when no test ran or any was skipped (the shell "
        "scripts' entry points always pass it)")


def pytest_configure(config):
    config.stash[FIGURES] = []
    config.stash[OUTCOMES] = {"ran": set(), "skipped": set()}


@pytest.fixture(scope="session")
def live_option(pytestconfig):
    """Returns the values of the named live options, e.g. "exporter_port".

    A missing one skips the test, or fails it under --strict-live: the
    shell script that should have passed it did not, and a skip there would
    let a broken hand-over of options pass unseen.
    """
    def values(*names):
        got = [pytestconfig.getoption(name) for name in names]
        missing = ["--" + name.replace("_", "-")
                   for name, value in zip(names, got)
                   if value is None or value == ""]
        if missing:
            message = "needs " + " and ".join(missing)
            if pytestconfig.getoption("strict_live"):
                pytest.fail(message + " (--strict-live)", pytrace=False)
            pytest.skip(message)
        return got
    return values


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    seen = item.config.stash[OUTCOMES]
    if report.skipped:
        seen["skipped"].add(item.nodeid)
    elif report.when == "call":
        seen["ran"].add(item.nodeid)


def pytest_sessionfinish(session, exitstatus):
    """Under --strict-live, fails a run that passed without running it all.

    An all-skipped or empty run exits 0 in pytest; for the shell scripts
    that would hide a check that never happened.
    """
    config = session.config
    if not config.getoption("strict_live") or exitstatus != 0:
        return
    seen = config.stash[OUTCOMES]
    problems = []
    if session.testscollected == 0:
        problems.append("no test was collected")
    if seen["skipped"]:
        problems.append("%d skipped" % len(seen["skipped"]))
    not_run = session.testscollected - len(seen["ran"] | seen["skipped"])
    if not_run > 0:
        problems.append("%d collected but not run" % not_run)
    if problems:
        seen["problems"] = problems
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


@pytest.fixture(scope="session")
def figure(pytestconfig):
    """Records a line of measurements for the summary.

    Passing tests print nothing, but the figures (how many connections were
    answered, how fast) are what a reader of the CI log wants to compare
    between runs, so they are printed after the results.
    """
    return pytestconfig.stash[FIGURES].append


def pytest_terminal_summary(terminalreporter, config):
    # Runs after pytest_sessionfinish, which found these problems.
    problems = config.stash[OUTCOMES].get("problems")
    if problems:
        terminalreporter.section("--strict-live", red=True)
        terminalreporter.line("failed: " + ", ".join(problems), red=True)
    if config.stash[FIGURES]:
        terminalreporter.section("figures")
        for line in config.stash[FIGURES]:
            terminalreporter.line(line)
