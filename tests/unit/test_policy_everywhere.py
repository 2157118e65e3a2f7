"""Ownership is decided in one place: no service, route or page state compares an object's owner with
the acting user itself; they ask `lumiere.services.policy` (authorize, may, visible/own filters)."""

from __future__ import annotations

import re
from pathlib import Path

import lumiere

ROOT = Path(lumiere.__file__).parent
POLICY = ROOT / "services" / "policy.py"
# `x.user_id == user.id`, `x.user_id != saved_id(user)`, and any `.user_id !=` (a refusal spelled out by hand).
# Plan accounting compares stored rows with a plain `user_id` number (usage counters, account deletion): not
# an ownership check, and not matched.
AD_HOC = re.compile(r"\.user_id\s*(==|!=)\s*(user\.id|saved_id\(user\)|actor\.id)|\.user_id\s*!=")


def test_no_ad_hoc_ownership_checks_outside_the_policy() -> None:
    offenders = [
        f"{path.relative_to(ROOT)}:{number}: {line.strip()}"
        for folder in ("services", "api", "state", "pages", "components")
        for path in sorted((ROOT / folder).rglob("*.py"))
        if path != POLICY
        for number, line in enumerate(path.read_text().splitlines(), start=1)
        if AD_HOC.search(line)
    ]
    assert not offenders, "ask services.policy instead:\n" + "\n".join(offenders)


def test_the_pattern_catches_what_it_is_for() -> None:
    assert AD_HOC.search("if source is None or source.user_id != user.id:")
    assert AD_HOC.search("select(Source).where(Source.user_id == user.id)")
    assert not AD_HOC.search("select(Source).where(Source.user_id == user_id)")
