"""The YAML layer, differentially: portal-lint's parser against Backstage's own.

Backstage reads a catalog file with `parseEntityYaml` (@backstage/plugin-catalog-node): the
`yaml` npm package, YAML 1.2, unique keys, no merge keys; each document becomes an entity,
an error (`YAML error at …`, `Expected object at root`) or nothing (an empty document).
This module builds a corpus of texts (realistic catalog files, tricky snippets, and seeded
mutations of both), asks that very function (judge.js in parse mode, run with the
installed backend's node_modules) for its outcome on each, records them in
yaml_verdicts.json, and compares portal-lint's reading: the same documents, each an error
exactly when Backstage's is, and the same values for the entities.

    python -m tests.differential.yaml_level record    # needs .ci/backstage.sh install
    python -m tests.differential.yaml_level compare   # agreement figure, by cause
"""

from __future__ import annotations

import hashlib
import json
import math
import random
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from portal_lint.parse.tree import PMap
from portal_lint.parse.yaml12 import parse_yaml
from tests.differential.compare import Cause, causes, print_agreement
from tests.differential.record import NODE_MODULES, run_judge

HERE = Path(__file__).resolve().parent
VERDICTS = HERE / "yaml_verdicts.json"
SEED = 20261126
MUTATIONS = 2000

TRICKY = [
    "a: yes\nb: No\nc: on\nd: OFF\ne: y\nf: n\n",
    "a: ~\nb: null\nc: Null\nd: NULL\ne:\nf: nil\n",
    "a: 0o17\nb: 0x1F\nc: 0755\nd: 1_000\ne: 1e3\nf: +1\ng: -0\nh: .5\ni: 5.\nj: 1.0e+3\n",
    "a: .inf\nb: -.Inf\nc: .NaN\nd: .nan\ne: +.inf\n",
    "a: 12:30\nb: 2024-01-01\nc: 2024-01-01T10:00:00Z\nd: 1:2:3\n",
    "a: true\nb: True\nc: TRUE\nd: tRUE\ne: false\n",
    "a: 12345678901234567890\nb: 0.1\nc: 1e400\nd: -1e400\n",
    "1: a\ntrue: b\nnull: c\n1.5: d\n~: e\n",
    "1: a\n'1': b\n",
    "[a, b]: c\n",
    "? [a, b]\n: c\n",
    "{a: b}: c\n",
    "base: &b {x: 1}\nderived:\n  <<: *b\n  y: 2\n",
    "a: &x 1\nb: &x 2\nc: *x\n",
    "a: *undefined\n",
    "a: !!str 1\nb: !!int '2'\nc: !!float '3'\nd: !!bool 'true'\ne: !!null ''\n",
    "a: !custom x\nb: !!binary aGVsbG8=\nc: !<tag:yaml.org,2002:str> 5\n",
    "%YAML 1.2\n---\na: 1\n",
    "%YAML 1.1\n---\na: yes\n",
    "%TAG !e! tag:example.com,2000:\n---\na: !e!x 1\n",
    "a: 1\n---\nb: 2\n...\n---\nc: 3\n",
    "---\n---\n---\na: 1\n",
    "- a\n- b\n",
    "just a string\n",
    "42\n",
    "--- |\n  text\n",
    "a: |\n  line 1\n  line 2\nb: >\n  folded\n  text\n\nc: |-\n  strip\nd: |+\n  keep\n\n",
    "a: |2\n    indented\n",
    "a:\n\tb: 1\n",
    "a: b\n\tc: d\n",
    "a: 'single ''quoted'''\nb: \"double \\\"quoted\\\" \\u00e9 \\x41\"\nc: \"\\N\\_\\L\\P\"\n",
    "a: 'multi\n  line'\nb: \"multi\n  line\"\n",
    "a: b: c\n",
    "a: [1, 2,]\nb: {x: 1,}\n",
    "a: [1, 2\n",
    "a: 'unclosed\n",
    "a: 1 # comment\n# comment\nb: 2 #no space\nc: x#y\n",
    "a: 1\na: 2\n",
    "a:\n  b: 1\n  b: 2\n",
    "\ufeffa: 1\n",
    "a: 1\r\nb: 2\r\n",
    "a: 1\rb: 2\r",
    "a: x\u2028y\nb: 1\n",
    "a: \u00e9\u00e8\nb: \U0001f600\n",
    "a: \x07bell\n",
    "a: \"\\t tab\"\nb: '\t'\n",
    "key with spaces: 1\n'quoted key': 2\n\"dq key\": 3\n",
    "? complex\n: value\n",
    "a: - b\n",
    "-a: 1\n",
    "a:\n- 1\n- 2\n",
    "a:\n  - 1\n  -\n    - 2\n",
    "a: {b: [c, {d: e}]}\n",
    "& a: 1\n",
    "a: @x\n",
    "a: `x\n",
    "a: %x\n",
    "a: x\n  continued plain\n",
    "a:   \n",
    "a: ''\nb: \"\"\n",
    "x" * 1100 + ": 1\n",
    "a: " + "[" * 150 + "]" * 150 + "\n",
    "a: &a [*a]\n",
    "",
    "# only a comment\n",
    "...\n",
    "--- # doc\n",
    "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: payments\n  annotations:\n"
    "    port: 8080\n    flag: true\n    date: 2024-01-01\nspec:\n  type: service\n",
    'a: "x"#c\n',
    "a: 'x'#c\nb: 2\n",
    "a: [x]#c\n",
    "a: {b: 1}#c\n",
    'a: "x" #c\nb: x#c\n',
    'a: ! 5\nb: !!int "5"\nc: !!float "3"\nd: !!float "3.5"\ne: !!int "x"\nf: !!bool "true"\n',
    "a: !!timestamp 2024-01-01T10:00:00+02:00\nb: !!timestamp 2024-1-2 3:04:05.6 -5\n"
    "c: !!binary aGVs\n bG8=\n",
    'a: "\\ud83d\\ude00"\nb: "\\U0001F600"\n',
    'a: "\\ud800"\n',
    "%YAML 1.1\n---\na: yes\nb: 0755\nc: 1:20\nd: 2024-01-01\ne: 0b101\nf: 1_000.5\ng: .5\n"
    "h: 2024-1-2 3:04:05.6 -5\n",
    "%YAML 1.1\n---\nn: 1\nY: on\nOff: ~\nx: 190:20:30.15\ny: 0x1F\nz: +12_3\n",
    "a: &x 1\n" + "".join(f"b{i}: *x\n" for i in range(99)),
    "a: &x 1\n" + "".join(f"b{i}: *x\n" for i in range(100)),
    "a: &x [1]\np: &p [*x, *x]\n" + "".join(f"b{i}: *p\n" for i in range(33)),
]
OPS = ("insert", "delete", "dup-line", "swap", "indent", "truncate")
PAYLOADS = [
    "\n", "  ", "\t", "---\n", "...\n", "&a ", "*a", "!!int ", "<<: *a\n", ": ", "- ", "? ", "#", "'", '"',
    "[", "]", "{", "}", ",", "|", ">", "yes", "~", "0755", "1e3", ".inf", "\r", "\u2028", "é", "%YAML 1.2\n",
]  # fmt: skip


REALISTIC = [
    """\
# Payments: the service and its API
apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: payments
  title: Payments service
  description: >
    Takes card payments for the checkout flow;
    settles them nightly.
  labels:
    tier: "1"
    pci: 'yes'
  annotations:
    github.com/project-slug: acme/payments
    backstage.io/techdocs-ref: dir:.
  tags: [python, payments]
  links:
    - url: https://grafana.example.com/d/payments
      title: Dashboard
spec:
  type: service
  lifecycle: production
  owner: group:default/team-payments
  system: commerce
  providesApis:
    - payments-api
  dependsOn: [resource:default/payments-db]
---
apiVersion: backstage.io/v1alpha1
kind: API
metadata:
  name: payments-api
spec:
  type: openapi
  lifecycle: production
  owner: group:default/team-payments
  definition:
    $text: ./api/openapi.yaml
""",
    """\
apiVersion: backstage.io/v1alpha1
kind: Group
metadata: &meta
  name: team-payments
  namespace: default
spec:
  type: team
  profile: {displayName: Payments, email: payments@example.com}
  parent: engineering
  children: []
  members: [jdoe, asmith]
...
---
apiVersion: backstage.io/v1alpha1
kind: User
metadata:
  name: jdoe
spec:
  memberOf: [team-payments]
  profile:
    displayName: "J. Doe"
    email: 'jdoe@example.com'
""",
    """\
apiVersion: scaffolder.backstage.io/v1beta3
kind: Template
metadata:
  name: python-service
  title: Python service
spec:
  owner: group:default/team-platform
  type: service
  parameters:
    - title: Name
      required: [name]
      properties:
        name: {type: string, pattern: '^[a-z0-9-]+$'}
  steps:
    - id: fetch
      action: fetch:template
      input:
        url: ./skeleton
        values:
          name: ${{ parameters.name }}
    - id: publish
      action: publish:github
      if: ${{ parameters.publish }}
  output:
    links:
      - title: Repository
        url: ${{ steps.publish.output.remoteUrl }}
""",
    """\
apiVersion: backstage.io/v1alpha1
kind: Location
metadata:
  name: org
  description: |
    Every team's catalog files.
spec:
  type: url
  targets:
    - ./teams/payments.yaml
    - ./teams/orders.yaml
  presence: optional
""",
]


def _seeds() -> dict[str, str]:
    """Self-contained (no fixture files), so the ids stay put while rules and fixtures change."""
    out = {f"realistic/{n}": text for n, text in enumerate(REALISTIC)}
    out.update((f"tricky/{n:03d}", text) for n, text in enumerate(TRICKY))
    return out


def _mutate(rng: random.Random, text: str) -> str:
    for _ in range(rng.randint(1, 3)):
        lines = text.split("\n")
        op, at, n = rng.choice(OPS), rng.randint(0, len(text)), rng.randrange(len(lines))
        if op == "insert":
            text = text[:at] + rng.choice(PAYLOADS) + text[at:]
        elif op == "delete":
            text = text[:at] + text[at + rng.randint(1, 12) :]
        elif op == "dup-line":
            text = "\n".join([*lines[: n + 1], *lines[n:]])
        elif op == "swap":
            m = rng.randrange(len(lines))
            lines[n], lines[m] = lines[m], lines[n]
            text = "\n".join(lines)
        elif op == "indent":
            lines[n] = " " * rng.randint(0, 5) + lines[n].lstrip(" ")
            text = "\n".join(lines)
        else:
            text = text[:at]
    return text


def texts() -> dict[str, str]:
    """id → text: the seeds, then seeded mutations of them."""
    seeds = _seeds()
    rng = random.Random(SEED)
    realistic = [k for k in seeds if k.startswith("realistic/")]
    tricky = [k for k in seeds if not k.startswith("realistic/")]
    out = dict(seeds)
    for n in range(MUTATIONS):
        # Mostly real catalog files half-edited; the tricky snippets already cover the oddities.
        base = rng.choice(realistic if rng.random() < 0.8 else tricky)
        out[f"mutation/{n:04d}"] = _mutate(rng, seeds[base])
    return out


def digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:16]


# ---------------------------------------------------------------------------- the two readings


def backstage(batch: Mapping[str, str]) -> dict[str, list[dict[str, Any]]]:
    """id → what Backstage's parseEntityYaml yields for the text (one entry per document it emits)."""
    found = run_judge({"mode": "parse", "texts": list(batch.values())})
    return dict(zip(batch, found, strict=True))


def _json(value: Any) -> Any:
    """A parsed value as JSON carries it (what `document.toJSON()` gives Backstage)."""
    if isinstance(value, dict):
        return {k: _json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_json(v) for v in value]
    if isinstance(value, bytes):  # a Buffer, as JSON writes it
        return {"type": "Buffer", "data": list(value)}
    if isinstance(value, float) and not math.isfinite(value):
        return {"$number": "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")}
    return value


def portal(text: str) -> tuple[list[dict[str, Any]], frozenset[str]]:
    """What portal-lint reads: per document an entity, an error or nothing, as Backstage lists
    them, and the YML codes its parse gives (YML001 syntax, YML002 duplicate key, YML006 limits)."""
    text = text.removeprefix("\ufeff")
    if "\0" in text:
        return [{"error": "contains NUL bytes"}], frozenset({"YML006"})
    out: list[dict[str, Any]] = []
    codes: set[str] = set()
    for doc in parse_yaml(text):
        problem = doc.syntax or doc.limit
        if problem is not None or doc.duplicates:
            codes.add("YML001" if doc.syntax else "YML006" if doc.limit else "YML002")
            out.append({"error": problem.message if problem else f"duplicate key {doc.duplicates[0][0]}"})
        elif doc.empty:
            continue
        elif isinstance(doc.root, PMap):
            out.append({"entity": _json(doc.root)})
        else:
            codes.add("YML004")
            out.append({"error": "Expected object at root"})
    return out, frozenset(codes)


def same(a: Any, b: Any) -> bool:
    """Equal as JSON values: numbers as doubles (JavaScript has no others), object keys unordered."""
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, int | float) and isinstance(b, int | float):
        return float(a) == float(b)
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    return bool(a == b)


def outcomes_agree(theirs: list[dict[str, Any]], ours: list[dict[str, Any]]) -> bool:
    return len(theirs) == len(ours) and all(
        ("error" in t) == ("error" in o) and ("error" in t or same(t["entity"], o["entity"]))
        for t, o in zip(theirs, ours, strict=True)
    )


@dataclass(frozen=True)
class YamlRow:
    id: str
    text: str
    backstage: list[dict[str, Any]]
    portal: list[dict[str, Any]]
    codes: frozenset[str]

    @property
    def agrees(self) -> bool:
        return outcomes_agree(self.backstage, self.portal)


def load_table(path: Path = VERDICTS) -> dict[str, dict[str, Any]]:
    table: dict[str, dict[str, Any]] = json.loads(path.read_text(encoding="utf-8"))["verdicts"]
    return table


def rows(table: Mapping[str, Mapping[str, Any]], batch: Mapping[str, str]) -> list[YamlRow]:
    out = []
    for key, text in batch.items():
        ours, codes = portal(text)
        out.append(YamlRow(key, text, table[key]["outcome"], ours, codes))
    return out


def stale(table: Mapping[str, Mapping[str, Any]], batch: Mapping[str, str]) -> list[str]:
    return [k for k, t in batch.items() if k not in table or table[k].get("digest") != digest(t)]


def yaml_causes() -> list[Cause]:
    return [c for c in causes() if c.slug.startswith("yaml-")]


def describe(row: YamlRow) -> str:
    return (
        f"{row.id}: Backstage {json.dumps(row.backstage)[:300]}; portal-lint {json.dumps(row.portal)[:300]}"
    )


def record(path: Path = VERDICTS) -> str:
    batch = texts()
    found = backstage(batch)
    table = {k: {"outcome": found[k], "digest": digest(t)} for k, t in batch.items()}
    version = json.loads((NODE_MODULES / "yaml" / "package.json").read_text())["version"]
    doc = {"parser": f"parseEntityYaml, yaml {version}", "verdicts": dict(sorted(table.items()))}
    path.write_text(json.dumps(doc, indent=1) + "\n", encoding="utf-8")  # ASCII: texts hold lone surrogates
    return f"{len(table)} texts -> {path}"


def main(argv: list[str]) -> int:
    if argv[:1] == ["record"]:
        print(record())
        return 0
    table, batch = load_table(), texts()
    if stale(table, batch):
        print("yaml_verdicts.json is stale: python -m tests.differential.yaml_level record")
        return 1
    return print_agreement(rows(table, batch), yaml_causes(), describe)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
