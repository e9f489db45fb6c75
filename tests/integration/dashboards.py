#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Checks the Grafana dashboards.

  dashboards.py lint DASHBOARD.json...
      structure: import fields, variables, unique ids, no overlapping panels,
      datasource references, a unit on every panel.
  dashboards.py queries PROMETHEUS_URL DASHBOARD.json...
      runs every variable and panel query against a real Prometheus, with
      the variables expanded; fails on an error or an empty result.
Prints "N passed, N failed" last.
"""
import json
import sys
import time
import urllib.parse
import urllib.request

DS = {"type": "prometheus", "uid": "${datasource}"}
passed = 0
failed = 0


def ok(cond, what):
    global passed, failed
    if cond:
        passed += 1
    else:
        failed += 1
        print("FAIL: " + what)
    return cond


def panels(board):
    for p in board["panels"]:
        yield p
        for q in p.get("panels", []):
            yield q


def lint(path):
    name = path.rsplit("/", 1)[-1]
    try:
        with open(path) as f:
            board = json.load(f)
    except (OSError, ValueError) as e:
        ok(False, "%s: not valid JSON: %s" % (name, e))
        return
    inputs = board.get("__inputs", [])
    ok(any(i.get("type") == "datasource" and i.get("pluginId") == "prometheus"
           for i in inputs), name + ": __inputs lacks a Prometheus datasource")
    req = {r.get("id") for r in board.get("__requires", [])}
    ok({"grafana", "prometheus"} <= req, name + ": __requires incomplete")
    ok(board.get("uid") and board.get("id") is None,
       name + ": needs a stable uid and a null id")
    ok("DS_PROMETHEUS" in json.dumps(board),
       name + ": the datasource input is never used")
    variables = {v["name"]: v for v in board["templating"]["list"]}
    ok(variables.get("datasource", {}).get("type") == "datasource",
       name + ": no datasource variable")
    for v in ("job", "instance"):
        var = variables.get(v, {})
        ok(var.get("multi") and var.get("includeAll"),
           "%s: variable %s must be multi-select with All" % (name, v))
        ok(var.get("datasource") == DS,
           "%s: variable %s must use ${datasource}" % (name, v))
    seen = set()
    boxes = []
    for p in panels(board):
        title = p.get("title", "?")
        ok(p["id"] not in seen, "%s: panel id %s twice" % (name, p["id"]))
        seen.add(p["id"])
        g = p["gridPos"]
        ok(g["x"] >= 0 and g["x"] + g["w"] <= 24,
           "%s: %s lies outside the grid" % (name, title))
        for (t2, g2) in boxes:
            overlap = (g["x"] < g2["x"] + g2["w"] and g2["x"] < g["x"] + g["w"]
                       and g["y"] < g2["y"] + g2["h"]
                       and g2["y"] < g["y"] + g["h"])
            ok(not overlap, "%s: %s overlaps %s" % (name, title, t2))
        boxes.append((title, g))
        if p["type"] == "row":
            continue
        ok(p.get("datasource") == DS,
           "%s: %s must use ${datasource}" % (name, title))
        unit = p.get("fieldConfig", {}).get("defaults", {}).get("unit")
        ok(bool(unit), "%s: %s has no unit" % (name, title))
        ok(len(p.get("targets", [])) > 0, "%s: %s has no query" % (name, title))
        for t in p.get("targets", []):
            ok(t.get("datasource") == DS,
               "%s: %s: a target without ${datasource}" % (name, title))
            ok(bool(t.get("expr")), "%s: %s: an empty query" % (name, title))


def expand(expr):
    return (expr.replace("$__rate_interval", "10s")
            .replace("$__interval", "5s")
            .replace('=~"$job"', '=~".+"')
            .replace('=~"$instance"', '=~".+"'))


def api(base, path, params):
    url = base + path + "?" + urllib.parse.urlencode(params)
    try:
        with urllib.request.urlopen(url, timeout=10) as r:
            body = json.load(r)
    except Exception as e:  # an HTTP 400 carries Prometheus' error text
        text = getattr(e, "read", lambda: b"")().decode(errors="replace")
        return None, "%s %s" % (e, text)
    if body.get("status") != "success":
        return None, body.get("error", "?")
    return body["data"], None


def queries(base, path):
    name = path.rsplit("/", 1)[-1]
    with open(path) as f:
        board = json.load(f)
    for v in board["templating"]["list"]:
        if v["type"] != "query":
            continue
        q = v["query"]["query"]
        # label_values(SELECTOR, LABEL)
        inner = q[len("label_values("):-1]
        sel, label = inner.rsplit(",", 1)
        data, err = api(base, "/api/v1/series", {"match[]": expand(sel)})
        ok(err is None and any(label.strip() in s for s in data or []),
           "%s: variable %s: %s: %s" % (name, v["name"], q,
                                        err or "no values"))
    now = time.time()
    for p in panels(board):
        for t in p.get("targets", []):
            expr = expand(t["expr"])
            what = "%s: panel \"%s\": %s" % (name, p["title"], expr)
            if p["type"] == "timeseries":
                data, err = api(base, "/api/v1/query_range",
                                {"query": expr, "start": now - 20,
                                 "end": now, "step": 1})
            else:
                data, err = api(base, "/api/v1/query",
                                {"query": expr, "time": now})
            if not ok(err is None, what + ": " + str(err)):
                continue
            ok(len(data["result"]) > 0, what + ": empty result")


def main():
    if len(sys.argv) < 3 or sys.argv[1] not in ("lint", "queries"):
        print(__doc__)
        return 2
    if sys.argv[1] == "lint":
        for path in sys.argv[2:]:
            lint(path)
    else:
        for path in sys.argv[3:]:
            queries(sys.argv[2].rstrip("/"), path)
    print("dashboards %s: %d passed, %d failed" % (sys.argv[1], passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
