"""Hostile inputs shared by the tests: a YAML alias bomb and its like."""

from __future__ import annotations


def alias_bomb(levels: int = 9, width: int = 9) -> str:
    """The "billion laughs" in YAML: each level holds ``width`` aliases of the one before,
    so ``levels`` levels expand to ``width ** levels`` strings (9 ** 9 = 387,420,489)."""
    lines = ['a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for i in range(1, levels):
        lines.append(f"a{i}: &a{i} [" + ",".join(f"*a{i - 1}" for _ in range(width)) + "]")
    return "\n".join(lines) + "\n"
