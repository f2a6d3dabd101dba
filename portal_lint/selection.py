"""Which rules a run uses: the config's `select`/`ignore`, then the command line's."""

from __future__ import annotations

from collections.abc import Sequence

from portal_lint import registry
from portal_lint.config import Config


def select_rules(cfg: Config, select: Sequence[str], ignore: Sequence[str]) -> list[str]:
    """The codes chosen by `select` (else the config's, else every rule on by default), less those
    `ignore` and the config's `ignore` name."""
    metas = registry.load_metadata()
    chosen_tokens = list(select) or cfg.get("select")
    if chosen_tokens:
        chosen = {c for t in chosen_tokens for c in registry.lookup(t)}
    else:
        chosen = {c for c, m in metas.items() if m.enabled}
    for token in [*cfg.get("ignore"), *ignore]:
        chosen -= set(registry.lookup(token))
    return sorted(chosen)
