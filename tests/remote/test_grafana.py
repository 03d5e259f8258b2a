"""The Grafana dashboard in docs/grafana/trtui.json is valid JSON, has the panels the README
promises, and queries only metrics that `trtui serve` exposes (so a renamed metric fails here)."""

from __future__ import annotations

import json
import re

from prometheus_client.parser import text_string_to_metric_families
from remote_support import ROOT, InProcessServer, demo_updates

DASHBOARD = ROOT / "docs" / "grafana" / "trtui.json"


def exposed_names() -> set[str]:
    srv = InProcessServer()
    try:
        srv.hub.publish(demo_updates(4)[-1])
        status, body, _ = srv.request("GET", "/metrics")
    finally:
        srv.close()
    assert status == 200
    families = list(text_string_to_metric_families(body.decode()))
    # Sample names, and family names (a family can be declared without samples at the moment,
    # e.g. throttle reasons while none is active).
    return {s.name for f in families for s in f.samples} | {f.name for f in families}


def test_the_dashboard_queries_only_exposed_metrics() -> None:
    dash = json.loads(DASHBOARD.read_text())
    exprs = [t["expr"] for p in dash["panels"] for t in p["targets"]]
    used = {m for e in exprs for m in re.findall(r"\btrtui_[a-z0-9_]+", e)}
    assert len(used) >= 15
    exposed = exposed_names()
    assert used <= exposed, used - exposed
    titles = " | ".join(p["title"].lower() for p in dash["panels"])
    for topic in ("latency", "throughput", "layer hotspots", "power", "temperature"):
        assert topic in titles
    ids = [p["id"] for p in dash["panels"]]
    assert len(ids) == len(set(ids))
