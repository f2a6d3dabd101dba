"""Parsers that keep source positions: YAML as Backstage reads it, and Markdown."""
