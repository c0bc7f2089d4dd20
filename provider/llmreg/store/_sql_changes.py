"""Which fields a write changed, by name only (the audit history never holds a value)."""

from __future__ import annotations

from typing import Any


def changed_fields(old: dict[str, Any] | None, new: dict[str, Any] | None) -> list[str]:
    """Top-level camelCase names whose values differ; ``envs`` per environment, e.g.
    ``envs[prd].sealedKey`` (or ``envs[prd]`` when that environment was added or removed)."""
    old, new = old or {}, new or {}
    out: list[str] = []
    for name in sorted(set(old) | set(new)):
        before, after = old.get(name), new.get(name)
        if before == after:
            continue
        if name == "envs" and _env_lists(before) and _env_lists(after):
            out.extend(_env_changes(before or [], after or []))
        else:
            out.append(name)
    return out


def _env_lists(value: Any) -> bool:
    return value is None or (
        isinstance(value, list) and all(isinstance(e, dict) and "slug" in e for e in value)
    )


def _env_changes(before: list[dict[str, Any]], after: list[dict[str, Any]]) -> list[str]:
    old = {e["slug"]: e for e in before}
    new = {e["slug"]: e for e in after}
    out: list[str] = []
    for slug in sorted(set(old) | set(new)):
        if slug not in old or slug not in new:
            out.append(f"envs[{slug}]")
            continue
        a, b = old[slug], new[slug]
        out.extend(
            f"envs[{slug}].{key}" for key in sorted(set(a) | set(b)) if a.get(key) != b.get(key)
        )
    if [e["slug"] for e in before if e["slug"] in new] != [
        e["slug"] for e in after if e["slug"] in old
    ]:
        out.append("envs")  # same environments, new order
    return out
