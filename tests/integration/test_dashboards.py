# SPDX-License-Identifier: MIT
"""Checks the Grafana dashboards: their structure, and their queries.

TestLint needs only the JSON files: import fields, variables, unique ids,
no overlapping panels, datasource references, a unit on every panel.
TestQueries runs every variable and panel query, with the variables
expanded, against the Prometheus given with --prometheus (which
dashboards_queries.sh starts); it fails on an error or an empty result.
The dashboards are the --dashboard files, or every dashboards/ksm-*.json.
"""
import functools
import json
import pathlib
import time
import urllib.parse
import urllib.request
from dataclasses import dataclass

import pytest

DS = {"type": "prometheus", "uid": "${datasource}"}
SOURCE = pathlib.Path(__file__).resolve().parents[2]


@functools.lru_cache(maxsize=None)
def load(path):
    """The dashboard at PATH; raises OSError or ValueError."""
    with open(path) as f:
        return json.load(f)


def panels(board):
    """Every panel of BOARD, with those nested in collapsed rows."""
    for p in board["panels"]:
        yield p
        yield from p.get("panels", [])


@dataclass
class Board:
    file: str  # the file name, for messages
    json: dict

    def variable(self, name):
        """The template variable called NAME, or an empty dict."""
        for v in self.json["templating"]["list"]:
            if v["name"] == name:
                return v
        return {}


@dataclass
class Panel:
    file: str  # the file name, for messages
    json: dict
    earlier: list  # the panels before it on the same dashboard

    @property
    def title(self):
        return self.json.get("title", "?")


@dataclass
class Target:
    panel: Panel
    json: dict


@dataclass
class Variable:
    file: str
    json: dict


def parameters(paths):
    """The values of each parametrized argument, with their test ids.

    A dashboard that does not load has only its "path": test_valid_json
    says why it does not load, and no other test runs on it.
    """
    params = {name: ([], []) for name in
              ("path", "board", "panel", "data_panel", "target", "variable")}

    def add(argname, value, test_id):
        params[argname][0].append(value)
        params[argname][1].append(test_id)

    for path in paths:
        name = pathlib.Path(path).name
        add("path", str(path), name)
        try:
            board = load(str(path))
        except (OSError, ValueError):
            continue
        add("board", Board(name, board), name)
        for v in board["templating"]["list"]:
            if v["type"] == "query":
                add("variable", Variable(name, v), "%s:%s" % (name, v["name"]))
        every = list(panels(board))
        for i, p in enumerate(every):
            panel = Panel(name, p, every[:i])
            test_id = "%s:%s:%s" % (name, p["id"], panel.title)
            add("panel", panel, test_id)
            if p["type"] == "row":
                continue
            add("data_panel", panel, test_id)
            for j, t in enumerate(p.get("targets", [])):
                add("target", Target(panel, t),
                    "%s:%s" % (test_id, t.get("refId", j)))
    return params


def pytest_generate_tests(metafunc):
    paths = (metafunc.config.getoption("dashboard")
             or sorted(SOURCE.glob("dashboards/ksm-*.json")))
    for argname, (values, ids) in parameters(paths).items():
        if argname in metafunc.fixturenames:
            metafunc.parametrize(argname, values, ids=ids)


def overlap(a, b):
    return (a["x"] < b["x"] + b["w"] and b["x"] < a["x"] + a["w"]
            and a["y"] < b["y"] + b["h"] and b["y"] < a["y"] + a["h"])


class TestLint:
    def test_valid_json(self, path):
        try:
            load(path)
        except (OSError, ValueError) as e:
            pytest.fail("%s: not valid JSON: %s"
                        % (pathlib.Path(path).name, e))

    def test_inputs_have_prometheus_datasource(self, board):
        assert any(i.get("type") == "datasource"
                   and i.get("pluginId") == "prometheus"
                   for i in board.json.get("__inputs", [])), \
            board.file + ": __inputs lacks a Prometheus datasource"

    def test_requires_grafana_and_prometheus(self, board):
        req = {r.get("id") for r in board.json.get("__requires", [])}
        assert {"grafana", "prometheus"} <= req, \
            board.file + ": __requires incomplete"

    def test_stable_uid_and_null_id(self, board):
        assert board.json.get("uid") and board.json.get("id") is None, \
            board.file + ": needs a stable uid and a null id"

    def test_datasource_input_used(self, board):
        assert "DS_PROMETHEUS" in json.dumps(board.json), \
            board.file + ": the datasource input is never used"

    def test_datasource_variable(self, board):
        assert board.variable("datasource").get("type") == "datasource", \
            board.file + ": no datasource variable"

    @pytest.mark.parametrize("name", ["job", "instance"])
    def test_variable_multi_with_all(self, board, name):
        var = board.variable(name)
        assert var.get("multi") and var.get("includeAll"), \
            "%s: variable %s must be multi-select with All" \
            % (board.file, name)

    @pytest.mark.parametrize("name", ["job", "instance"])
    def test_variable_uses_datasource(self, board, name):
        assert board.variable(name).get("datasource") == DS, \
            "%s: variable %s must use ${datasource}" % (board.file, name)

    def test_panel_id_unique(self, panel):
        assert panel.json["id"] not in {p["id"] for p in panel.earlier}, \
            "%s: panel id %s twice" % (panel.file, panel.json["id"])

    def test_panel_inside_grid(self, panel):
        g = panel.json["gridPos"]
        assert g["x"] >= 0 and g["x"] + g["w"] <= 24, \
            "%s: %s lies outside the grid" % (panel.file, panel.title)

    def test_panel_overlaps_no_earlier_panel(self, panel):
        g = panel.json["gridPos"]
        hit = [p.get("title", "?") for p in panel.earlier
               if overlap(g, p["gridPos"])]
        assert not hit, "%s: %s overlaps %s" % (panel.file, panel.title,
                                                ", ".join(hit))

    def test_panel_uses_datasource(self, data_panel):
        assert data_panel.json.get("datasource") == DS, \
            "%s: %s must use ${datasource}" % (data_panel.file,
                                               data_panel.title)

    def test_panel_has_unit(self, data_panel):
        defaults = data_panel.json.get("fieldConfig", {}).get("defaults", {})
        assert defaults.get("unit"), \
            "%s: %s has no unit" % (data_panel.file, data_panel.title)

    def test_panel_has_query(self, data_panel):
        assert data_panel.json.get("targets"), \
            "%s: %s has no query" % (data_panel.file, data_panel.title)

    def test_target_uses_datasource(self, target):
        assert target.json.get("datasource") == DS, \
            "%s: %s: a target without ${datasource}" % (target.panel.file,
                                                        target.panel.title)

    def test_target_has_query(self, target):
        assert target.json.get("expr"), \
            "%s: %s: an empty query" % (target.panel.file, target.panel.title)


def expand(expr):
    """EXPR with Grafana's variables replaced by what any series matches."""
    return (expr.replace("$__rate_interval", "10s")
            .replace("$__interval", "5s")
            .replace('=~"$job"', '=~".+"')
            .replace('=~"$instance"', '=~".+"'))


@pytest.fixture(scope="session")
def prometheus(live_option):
    url, = live_option("prometheus")
    return url.rstrip("/")


def api(base, path, params, what):
    """The data of a Prometheus API answer; fails the test on an error."""
    url = base + path + "?" + urllib.parse.urlencode(params)
    try:
        with urllib.request.urlopen(url, timeout=10) as r:
            body = json.load(r)
    except Exception as e:  # an HTTP 400 carries Prometheus' error text
        text = getattr(e, "read", lambda: b"")().decode(errors="replace")
        pytest.fail("%s: %s %s" % (what, e, text))
    if body.get("status") != "success":
        pytest.fail("%s: %s" % (what, body.get("error", "?")))
    return body["data"]


class TestQueries:
    def test_variable_has_values(self, prometheus, variable):
        q = variable.json["query"]["query"]
        # label_values(SELECTOR, LABEL)
        sel, label = q[len("label_values("):-1].rsplit(",", 1)
        what = "%s: variable %s: %s" % (variable.file, variable.json["name"],
                                        q)
        series = api(prometheus, "/api/v1/series", {"match[]": expand(sel)},
                     what)
        assert any(label.strip() in s for s in series), what + ": no values"

    def test_panel_query_has_data(self, prometheus, target):
        expr = expand(target.json["expr"])
        what = '%s: panel "%s": %s' % (target.panel.file, target.panel.title,
                                       expr)
        now = time.time()
        if target.panel.json["type"] == "timeseries":
            data = api(prometheus, "/api/v1/query_range",
                       {"query": expr, "start": now - 20, "end": now,
                        "step": 1}, what)
        else:
            data = api(prometheus, "/api/v1/query",
                       {"query": expr, "time": now}, what)
        assert data["result"], what + ": empty result"
