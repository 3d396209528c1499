"""The review queue over real HTTP and through ``telltale review --server``."""

from __future__ import annotations

from typer.testing import CliRunner

from telltale.cli.main import app
from tests.server.conftest import ServerHandle

T0 = 1_767_225_600.0 + 2 * 86400
SPEC = "service: triage\nowner: me\ninputs:\n  x: {type: float}\noutput: {type: category, classes: [ok, urgent]}\nfallback: [review]\n"


def test_list_claim_decide_over_http_and_cli(module_server: ServerHandle) -> None:
    recs = [{"id": f"t{i}", "ts": T0 + i, "inputs": {"x": 1.0}, "source": "review" if i < 3 else "model", "output": "ok", "confidence": 0.9}
            for i in range(6)]
    with module_server.client() as c:
        assert c.put("/v1/services/triage/spec", content=SPEC, headers={"content-type": "application/yaml"}).status_code == 200
        assert c.post("/v1/services/triage/predictions", json={"records": recs}).json()["accepted"] == 6
        listed = c.get("/v1/reviews/triage").json()
        claimed = c.post("/v1/reviews/triage/claim", json={"reviewer": "ana", "n": 2}).json()
        clash = c.post("/v1/reviews/triage/t0/decision", json={"reviewer": "bo", "label": "urgent"})
        bad = c.post("/v1/reviews/triage/t0/decision", json={"reviewer": "ana", "action": "liked"})
        done = c.post("/v1/reviews/triage/t0/decision", json={"reviewer": "ana", "label": "urgent"}).json()
        fb = c.get("/v1/services/triage/feedback/t0").json()
    assert [i["id"] for i in listed["items"]] == ["t0", "t1", "t2"] and listed["size"] == 3 and listed["oldest_age_s"] > 0
    assert [i["id"] for i in claimed["items"]] == ["t0", "t1"] and claimed["claimed"] == 2
    assert clash.status_code == 409 and "claimed by 'ana'" in clash.json()["detail"]
    assert bad.status_code == 422 and bad.json()["detail"].startswith("action must be one of accepted")
    assert done["accepted"] == 1 and done["size"] == 2
    assert fb["current"]["actor"] == "ana" and fb["current"]["label"] == "urgent"

    runner = CliRunner()
    base = ["--service", "triage", "--server", module_server.url, "--token", module_server.token]
    out = runner.invoke(app, ["review", "claim", *base, "--reviewer", "bo"])
    assert out.exit_code == 0 and "t2" in out.output
    dec = runner.invoke(app, ["review", "decide", *base, "--id", "t2", "--reviewer", "bo", "--label", '"ok"'])
    assert dec.exit_code == 0 and "recorded: 1 item(s) left in the queue" in dec.output
