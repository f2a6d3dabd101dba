"""Differential test: portal-lint's verdicts against the real Backstage server's (docs/trust.md)."""
