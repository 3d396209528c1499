"""Bearer tokens and projects: a token never sees or changes another project's services."""

from __future__ import annotations

import httpx
import pytest

from telltale.store import Store
from tests.conftest import EXAMPLE_SPEC
from tests.server.helpers import eta_record

T0 = 1_767_225_600.0
OTHER_SPEC = EXAMPLE_SPEC.read_text().replace("service: eta", "service: beta-eta").replace("owner: delivery-ml@example.com", "owner: beta-team@example.com", 1)

# (method, path template, JSON body) for every /v1 route; {s} is the service.
ROUTES = [
    ("GET", "/v1/services/{s}", None),
    ("POST", "/v1/services/{s}/predictions", {"records": [eta_record(999, T0, prefix="intruder")]}),
    ("GET", "/v1/services/{s}/predictions", None),
    ("GET", "/v1/services/{s}/findings", None),
    ("GET", "/v1/services/{s}/findings/f0", None),
    ("GET", "/v1/services/{s}/control", None),
    ("PUT", "/v1/services/{s}/control", {"mode": "fallback", "reason": "intruder"}),
    ("GET", "/v1/services/{s}/reference", None),
    ("PUT", "/v1/services/{s}/reference", None),
]


def snapshot(db_url: str, project: str, service: str) -> dict:
    store = Store.open(db_url)
    try:
        return {
            "spec": store.get_service(project, service),
            "records": [r.to_dict() for r in store.read_predictions(project, service, 0, 2e9, limit=100_000)],
            "control": store.get_control(project, service),
        }
    finally:
        store.close()


@pytest.fixture
def two_projects(db_url: str, server_factory):
    """A server with project alpha (service eta) and project beta (service beta-eta)."""
    server = server_factory(db_url, project="alpha", specs=[EXAMPLE_SPEC])
    store = Store.open(db_url)
    beta_token = store.create_token("beta")
    store.close()
    with httpx.Client(base_url=server.url, headers={"Authorization": f"Bearer {beta_token}"}) as beta:
        assert beta.put("/v1/services/beta-eta/spec", content=OTHER_SPEC, headers={"content-type": "application/yaml"}).status_code == 200
        assert beta.post("/v1/services/beta-eta/predictions", json={"records": [eta_record(i, T0 + i) for i in range(20)]}).json()["accepted"] == 20
        assert beta.put("/v1/services/beta-eta/control", json={"mode": "review", "reason": "beta's own"}).status_code == 200
    return server, beta_token


def test_every_route_is_404_for_another_projects_service(two_projects, db_url: str) -> None:
    server, beta_token = two_projects
    before = snapshot(db_url, "beta", "beta-eta")
    with server.client() as alpha:  # alpha's token
        for method, path, body in ROUTES:
            resp = alpha.request(method, path.format(s="beta-eta"), json=body)
            assert resp.status_code == 404, (method, path, resp.text)
            assert "not registered in project 'alpha'" in resp.json()["detail"]
            assert "beta" not in resp.json()["detail"].replace("beta-eta", "")  # names nothing of beta's
        listed = alpha.get("/v1/services").json()
        assert [s["service"] for s in listed["services"]] == ["eta"] and listed["project"] == "alpha"
        # alpha may create its own service of the same name: beta's stays untouched
        assert alpha.put("/v1/services/beta-eta/spec", content=OTHER_SPEC.replace("beta-team", "alpha-team")).status_code == 200
        assert alpha.post("/v1/services/beta-eta/predictions", json={"records": [eta_record(1, T0, prefix="a")]}).json()["accepted"] == 1
    assert snapshot(db_url, "beta", "beta-eta") == before
    assert before["control"].mode == "review" and len(before["records"]) == 20
    assert snapshot(db_url, "alpha", "beta-eta")["spec"].owner == "alpha-team@example.com"


def test_every_route_is_401_without_a_valid_token(two_projects, db_url: str) -> None:
    server, beta_token = two_projects
    before = snapshot(db_url, "beta", "beta-eta")
    routes = ROUTES + [("GET", "/v1/services", None), ("PUT", "/v1/services/{s}/spec", None)]
    bad_headers = [{}, {"Authorization": "Bearer tt_not-a-real-token"}, {"Authorization": f"Basic {beta_token}"},
                   {"Authorization": "Bearer"}, {"Authorization": beta_token}]
    with httpx.Client(base_url=server.url) as anon:
        for headers in bad_headers:
            for method, path, body in routes:
                resp = anon.request(method, path.format(s="beta-eta"), json=body, headers=headers)
                assert resp.status_code == 401, (headers, method, path, resp.text)
                assert resp.headers["www-authenticate"] == "Bearer"
                assert "telltale token create" in resp.json()["detail"]
    assert snapshot(db_url, "beta", "beta-eta") == before
