"""Bearer tokens: hashed at rest, scoped, expiring, revocable, each with its own rate.

A token is shown once, when it is made; the store keeps its SHA-256 only. Its public
``id`` is the first 12 hex digits of that hash: enough to list and revoke it by, useless
for calling the API. Revocation and expiry are read on every request (no cache), so a
revoked token stops working at once.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from telltale.store.schema import tokens

TOKEN_PREFIX = "tt_"
#: What a token may do: ``ingest`` post records (and read its service's control mode),
#: ``read`` every GET (dashboards, ``telltale findings``), ``admin`` everything, specs
#: and control included.
SCOPES = ("ingest", "read", "admin")
ID_LEN = 12


@dataclass(frozen=True, slots=True)
class TokenInfo:
    """A token as the store knows it (never the plaintext)."""

    id: str
    project: str
    scope: str
    name: str
    created_at: float
    expires_at: float | None
    revoked_at: float | None
    rate_per_s: float | None

    def state(self, now: float) -> str:
        """``active``, ``revoked`` or ``expired``."""
        if self.revoked_at is not None:
            return "revoked"
        if self.expires_at is not None and now >= self.expires_at:
            return "expired"
        return "active"


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def insert_token(conn: Connection, project: str, now: float, *, scope: str = "admin", name: str = "",
                 expires_at: float | None = None, rate_per_s: float | None = None) -> str:
    """A new token; the plaintext is returned once."""
    if scope not in SCOPES:
        raise ValueError(f"token scope must be one of {', '.join(SCOPES)}, got {scope!r}")
    if expires_at is not None and expires_at <= now:
        raise ValueError(f"token expiry must be in the future, got {expires_at} (now is {now})")
    if rate_per_s is not None and not rate_per_s > 0:
        raise ValueError(f"token rate must be > 0 requests per second, got {rate_per_s}")
    if len(name) > 64:
        raise ValueError(f"token name must be at most 64 characters, got {len(name)}")
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    conn.execute(tokens.insert().values(
        token_hash=token_hash(token), project=project, created_at=now, scope=scope, name=name,
        expires_at=expires_at, revoked_at=None, rate_per_s=rate_per_s,
    ))
    return token


def lookup(conn: Connection, token: str | None) -> TokenInfo | None:
    """The token's record (whatever its state), or None for a token never issued."""
    if not token or not token.startswith(TOKEN_PREFIX) or len(token) > 200:
        return None
    row = conn.execute(sa.select(tokens).where(tokens.c.token_hash == token_hash(token))).one_or_none()
    return None if row is None else _info(row)


def list_tokens(conn: Connection, project: str | None = None) -> list[TokenInfo]:
    q = sa.select(tokens).order_by(tokens.c.project, tokens.c.created_at)
    if project is not None:
        q = q.where(tokens.c.project == project)
    return [_info(r) for r in conn.execute(q)]


def revoke(conn: Connection, token_id: str, now: float, project: str | None = None) -> TokenInfo:
    """Revoke the one token whose id is ``token_id``; ValueError naming what matched."""
    if len(token_id) < 6 or any(c not in "0123456789abcdef" for c in token_id):
        raise ValueError(f"token id must be at least 6 hex digits as `telltale token list` shows them, got {token_id!r}")
    q = sa.select(tokens).where(tokens.c.token_hash.like(token_id + "%"))
    if project is not None:
        q = q.where(tokens.c.project == project)
    rows = conn.execute(q).all()
    if not rows:
        raise ValueError(f"no token with id {token_id!r}{f' in project {project!r}' if project else ''}; see `telltale token list`")
    if len(rows) > 1:
        raise ValueError(f"{len(rows)} tokens have ids starting {token_id!r}; give more digits")
    info = _info(rows[0])
    if info.revoked_at is None:
        conn.execute(tokens.update().where(tokens.c.token_hash == rows[0].token_hash).values(revoked_at=now))
        info = _info(rows[0], revoked_at=now)
    return info


def count_active(conn: Connection, project: str, now: float) -> int:
    c = tokens.c
    q = sa.select(sa.func.count()).select_from(tokens).where(
        c.project == project, c.revoked_at.is_(None), sa.or_(c.expires_at.is_(None), c.expires_at > now))
    return int(conn.execute(q).scalar_one())


def _info(row: sa.Row[Any], **override: float) -> TokenInfo:
    m = row._mapping
    return TokenInfo(
        id=m["token_hash"][:ID_LEN], project=m["project"], scope=m["scope"], name=m["name"],
        created_at=m["created_at"], expires_at=m["expires_at"],
        revoked_at=override.get("revoked_at", m["revoked_at"]), rate_per_s=m["rate_per_s"],
    )
