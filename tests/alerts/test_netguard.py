"""Receiver targets on loopback, private or link-local addresses: refused at save and at send."""

from __future__ import annotations

import socket

import pytest

from telltale.alerts.netguard import BlockedTarget, pin
from telltale.alerts.transport import HttpRequest, post
from telltale.errors import SpecError
from tests.alerts.helpers import spec_with


@pytest.mark.parametrize(("url", "reason"), [
    ("http://127.0.0.1:9/hook", "loopback"),
    ("http://localhost/hook", "loopback"),
    ("http://10.1.2.3/hook", "private"),
    ("http://192.168.0.7/hook", "private"),
    ("http://169.254.169.254/latest/meta-data", "link-local"),
    ("http://[::1]/hook", "loopback"),
    ("http://[fe80::1]/hook", "link-local"),
    ("http://[::ffff:10.0.0.1]/hook", "private"),
])
def test_private_targets_are_refused_when_the_spec_is_saved(url, reason):
    with pytest.raises(SpecError) as e:
        spec_with({"hook": {"webhook": {"url": url}}}, {"data": ["hook"]})
    assert [p.key for p in e.value.problems] == ["alerting.receivers.hook.webhook"]
    assert f"points at {'a ' + reason if reason != 'loopback' or 'localhost' not in url else reason}" in e.value.problems[0].message
    assert "set allow_private: true if that is intended" in e.value.problems[0].message


def test_allow_private_lets_a_private_target_through():
    spec = spec_with({"hook": {"webhook": {"url": "http://10.1.2.3/hook", "allow_private": True}}}, {"data": ["hook"]})
    assert spec.alerting.receivers["hook"].target.url == "http://10.1.2.3/hook"


def _resolver(*addrs):
    def resolve(host, port, type=0):  # noqa: A002 - getaddrinfo's name
        return [(socket.AF_INET6 if ":" in a else socket.AF_INET, socket.SOCK_STREAM, 6, "", (a, port)) for a in addrs]
    return resolve


def test_a_public_name_that_resolves_to_a_private_address_is_refused_at_send():
    with pytest.raises(BlockedTarget, match=r"hooks.acme.io resolves to 10.0.0.5, a private address; set allow_private: true"):
        pin("https://hooks.acme.io/x", False, resolve=_resolver("93.184.215.14", "10.0.0.5"))


def test_the_request_goes_to_the_address_that_was_checked():
    p = pin("https://hooks.acme.io:8443/x?a=1", False, resolve=_resolver("93.184.215.14"))
    assert (p.url, p.headers, p.extensions) == ("https://93.184.215.14:8443/x?a=1", {"Host": "hooks.acme.io:8443"},
                                                {"sni_hostname": "hooks.acme.io"})


def test_send_refuses_loopback_without_connecting(standin):
    r = post(HttpRequest(standin.url, b"{}"), allow_private=False, timeout_s=1)
    assert (r.outcome, r.http_status) == ("reject", None)
    assert r.error == f"url '{standin.url}' points at a loopback address; set allow_private: true if that is intended"
    assert standin.requests == []


def test_documentation_names_are_refused_without_a_dns_query():
    def no_dns(*_a, **_k):
        raise AssertionError("resolved")

    for url in ("https://hooks.example.com/t", "https://am.example/x", "http://a.invalid", "https://example.org"):
        with pytest.raises(BlockedTarget, match=r"is a documentation name \(RFC 2606\) that reaches nobody"):
            pin(url, True, resolve=no_dns)
    assert pin("https://example.company.io/t", False, resolve=_resolver("93.184.215.14")).url == "https://93.184.215.14/t"
