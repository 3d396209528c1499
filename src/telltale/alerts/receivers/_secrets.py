"""Secrets named in the spec by environment variable, read when a message is sent."""

from __future__ import annotations

import os


class MissingSecret(RuntimeError):
    """The environment variable a receiver names is not set in the server's environment."""


def secret(inline: str | None, env: str | None, what: str) -> str | None:
    if inline:
        return inline
    if not env:
        return None
    value = os.environ.get(env)
    if not value:
        raise MissingSecret(f"{what}: environment variable {env} is not set in the server's environment")
    return value
