"""The standards vocabulary: bullet shapes that each map to one generic, parameterised rule.

A bullet is read exactly or not at all. Each shape takes the words it understands (the
entities it scopes to, its keys, values, lengths, patterns) and a small set of filler words
(articles, modal verbs); a bullet with any word left over says something the rule would not
check, so the shape does not claim it and the bullet stays unenforced (POL001, with the
nearest supported phrasing). That is what keeps "API entities MUST declare an owner and a
lifecycle" from being mapped to a rule that checks something else.

Each parser returns the rule's parameters (one dict per check the bullet asks for) or None.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, NamedTuple

# Documented annotation keys of the Backstage plugins for well-known tools; a tool with two
# keys accepts either ("a|b": one of them must be set).
TOOL_ANNOTATIONS = {
    "pagerduty": "pagerduty.com/integration-key|pagerduty.com/service-id",
    "opsgenie": "opsgenie.com/component-selector|opsgenie.com/team",
    "sentry": "sentry.io/project-slug",
    "sonarqube": "sonarqube.org/project-key",
    "sonar": "sonarqube.org/project-key",
    "kubernetes": "backstage.io/kubernetes-id|backstage.io/kubernetes-label-selector",
    "k8s": "backstage.io/kubernetes-id|backstage.io/kubernetes-label-selector",
    "github": "github.com/project-slug",
    "gitlab": "gitlab.com/project-slug|gitlab.com/project-id",
    "jira": "jira/project-key",
    "datadog": "datadoghq.com/dashboard-url|datadoghq.com/graph-token",
    "techdocs": "backstage.io/techdocs-ref",
    "argocd": "argocd/app-name|argocd/app-selector",
    "jenkins": "jenkins.io/job-full-name",
    "grafana": "grafana/dashboard-selector",
    "lighthouse": "lighthouse.com/website-url",
}

# Words naming the entities a bullet scopes to: a kind, or a kind with its spec.type.
SCOPE_WORDS = {
    "component": "Component",
    "api": "API",
    "system": "System",
    "domain": "Domain",
    "resource": "Resource",
    "group": "Group",
    "team": "Group",
    "user": "User",
    "template": "Template",
    "service": "Component:service",
    "website": "Component:website",
    "library": "Component:library",
    "entity": "",
}

# Fields a bullet names in words (or as `spec.x` / `metadata.x`).
FIELD_WORDS = {
    "owner": "spec.owner",
    "lifecycle": "spec.lifecycle",
    "system": "spec.system",
    "domain": "spec.domain",
    "type": "spec.type",
    "description": "metadata.description",
    "title": "metadata.title",
    "name": "metadata.name",
    "tags": "metadata.tags",
    "links": "metadata.links",
}

_FILLER_WORDS = (
    "a an the every each all any its their our must should shall is are be been have has having "
    "need needs require requires required mandatory always carry carries declare declares "
    "define defines set sets include includes contain contains provide provides give gives with "
    "of for on in to by and or as at that which who whose when it they this these those one "
    "also please entity entities kind kinds catalog portal field fields value values non-empty "
    "empty present exactly both either following list listed from do mustn't don't cannot can "
    "only use using"
)
_FILLER = frozenset(_FILLER_WORDS.split())
_MODAL_WORDS = "must should shall may can need needs require requires required are is have has do don't never"
_MODALS = frozenset(_MODAL_WORDS.split())
_QUANTIFIERS = frozenset({"every", "each", "all", "any", "on", "for", "of", "to"})
_NEGATION = frozenset({"not", "never", "no", "mustn't", "don't", "cannot", "without"})

_TOKEN = re.compile(r"`([^`]*)`|([\w.*/:^$@{}\[\]\\+?|-]+)")


class Tok(NamedTuple):
    text: str  # as written
    low: str  # lower case, plural -s and trailing punctuation dropped for words
    code: bool  # written in backticks


def tokens(text: str) -> list[Tok]:
    out = []
    for m in _TOKEN.finditer(text.replace("**", "")):
        if m.group(1) is not None:
            out.append(Tok(m.group(1), m.group(1).lower(), True))
            continue
        word = m.group(2).strip(".:;,")
        if word:
            out.append(Tok(word, word.lower(), False))
    return out


def _singular(word: str) -> str:
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith("s") and not word.endswith("ss") and len(word) > 3:
        return word[:-1]
    return word


class Reading:
    """A bullet being read: which tokens a shape has taken."""

    def __init__(self, text: str) -> None:
        self.toks = tokens(text)
        self.used = [False] * len(self.toks)

    def words(self) -> list[str]:
        return [t.low for t in self.toks]

    def take(self, i: int) -> Tok:
        self.used[i] = True
        return self.toks[i]

    def find(self, pred: Callable[[Tok], bool], start: int = 0) -> int | None:
        return next((i for i in range(start, len(self.toks)) if pred(self.toks[i])), None)

    def has(self, *words: str) -> bool:
        wanted = set(words)
        return any(not t.code and (t.low in wanted or _singular(t.low) in wanted) for t in self.toks)

    def take_words(self, *words: str) -> int:
        """Take every plain word among `words` (singular or plural); how many were taken."""
        wanted = set(words)
        n = 0
        for i, t in enumerate(self.toks):
            if not t.code and not self.used[i] and (t.low in wanted or _singular(t.low) in wanted):
                self.used[i] = True
                n += 1
        return n

    def negated(self) -> bool:
        return any(not t.code and t.low in _NEGATION for t in self.toks)

    def codes(self, start: int = 0) -> list[int]:
        return [i for i in range(start, len(self.toks)) if self.toks[i].code and not self.used[i]]

    def scope(self, skip: frozenset[str] = frozenset()) -> list[str]:
        """The entities the bullet scopes to (taken); [] for every entity. A kind word scopes in
        the subject ("Services must …") or after a quantifier ("… on every System"); elsewhere
        ("have an owner team") it says something no shape checks, and is left over."""
        modal = next((i for i, t in enumerate(self.toks) if not t.code and t.low in _MODALS), len(self.toks))
        kinds: list[str] = []
        for i, t in enumerate(self.toks):
            word = _singular(t.low)
            if self.used[i] or word not in SCOPE_WORDS or word in skip:
                continue
            if i > modal and (i == 0 or self.toks[i - 1].low not in _QUANTIFIERS):
                continue
            self.used[i] = True
            if SCOPE_WORDS[word]:
                kinds.append(SCOPE_WORDS[word])
        return list(dict.fromkeys(kinds))

    def exact(self) -> bool:
        """Whether every word left is a filler word: nothing the rule would not check."""
        return all(u or (not t.code and t.low in _FILLER) for t, u in zip(self.toks, self.used, strict=True))


def _done(r: Reading, params: dict[str, Any]) -> list[dict[str, Any]] | None:
    return [params] if r.exact() else None


def _values_after(r: Reading, i: int) -> list[str]:
    """Backticked values from token i on (taken)."""
    return [r.take(j).text for j in r.codes(i)]


_KEY = re.compile(r"^[a-z0-9.-]+(/[A-Za-z0-9._-]+)?$", re.I)
_LIFECYCLE_KEY = "lifecycle"


def required_annotation(text: str) -> list[dict[str, Any]] | None:
    r = Reading(text)
    tools = [TOOL_ANNOTATIONS[t.low] for t in r.toks if not t.code and t.low in TOOL_ANNOTATIONS]
    if (not r.has("annotation") and not tools) or r.negated():
        return None
    keys = list(tools)
    for i in r.codes():
        if "/" in r.toks[i].text and _KEY.match(r.toks[i].text):
            keys.append(r.take(i).text)
    r.take_words(*TOOL_ANNOTATIONS, "annotation", "annotated", "project", "integration", "id", "key", "slug")
    # "TechDocs" as a tool names the techdocs-ref annotation; spelled with its key, one key.
    keys = [k for k in dict.fromkeys(keys) if not any(k in other.split("|") and k != other for other in keys)]
    kinds = r.scope()
    if not keys:
        return None
    return _done(r, {"kinds": kinds, "keys": keys})


def _label_key(r: Reading) -> int | None:
    at = r.find(lambda t: not t.code and _singular(t.low) == "label")
    if at is None:
        return None
    for j in (at - 1, at + 1):
        if 0 <= j < len(r.toks) and r.toks[j].code:
            return j
    m = r.find(lambda t: t.code and t.low.startswith("metadata.labels."))
    return m


def _label(text: str, required: bool) -> list[dict[str, Any]] | None:
    r = Reading(text)
    if r.negated():
        return None
    k = _label_key(r)
    if k is None:
        return None
    key = r.take(k).text.removeprefix("metadata.labels.")
    r.take_words("label", "labelled", "labeled")
    says_required = r.take_words("every", "each", "all", "required", "mandatory") > 0
    r.take_words("when", "if", "where", "set", "present", "used", "given")
    values = _values_after(r, 0)
    kinds = r.scope()
    if says_required != required or (not required and not values):
        return None
    return _done(r, {"kinds": kinds, "key": key, "values": values})


def required_label(text: str) -> list[dict[str, Any]] | None:
    return _label(text, True)


def label_values(text: str) -> list[dict[str, Any]] | None:
    return _label(text, False)


def required_tag(text: str) -> list[dict[str, Any]] | None:
    r = Reading(text)
    if not r.has("tag", "tagged") or r.negated():
        return None
    r.take_words("tag", "tagged")
    any_of = r.take_words("least", "one", "either") > 0
    tags = _values_after(r, 0)
    kinds = r.scope()
    if not tags:
        return None
    return _done(r, {"kinds": kinds, "tags": tags, "any": any_of})


_LINK_WORDS = ("runbook", "dashboard", "on-call", "oncall", "repository", "docs", "documentation", "chat")


def required_link(text: str) -> list[dict[str, Any]] | None:
    r = Reading(text)
    if not r.has("link", "linked") or r.negated():
        return None
    r.take_words("link", "linked", "titled", "title", "named", "page", "url")
    wanted = [r.take(i).text for i in r.codes()]
    for i, t in enumerate(r.toks):
        if not r.used[i] and not t.code and t.low in _LINK_WORDS:
            wanted.append(r.take(i).text)
    kinds = r.scope()
    if not wanted:
        return None
    return _done(r, {"kinds": kinds, "link": list(dict.fromkeys(wanted))})


def _field_token(r: Reading, i: int) -> str | None:
    """The field a token names (`spec.domain`, `metadata.description`, or a field word)."""
    t = r.toks[i]
    if t.code or "." in t.text:
        low = t.text
        if re.fullmatch(r"(spec|metadata)\.[A-Za-z][\w.-]*", low):
            return low
        return None
    return FIELD_WORDS.get(_singular(t.low)) or FIELD_WORDS.get(t.low)


def field_required(text: str) -> list[dict[str, Any]] | None:
    r = Reading(text)
    if r.negated():
        return None
    verb = r.find(
        lambda t: (
            not t.code
            and t.low
            in {"declare", "declares", "set", "sets", "have", "has", "name", "names", "carry", "define"}
        )
    )
    if verb is None and not r.has("required", "mandatory", "part"):
        return None
    # A kind word after the verb is a field ("on every System" scopes again after it).
    fields: list[str] = []
    start = verb + 1 if verb is not None else 0
    words = r.words()
    for i in range(len(r.toks)):
        prev = words[i - 1] if i else ""
        part_of = "part of" in " ".join(words[max(0, i - 3) : i])  # "is part of a Domain"
        if (i < start and not part_of) or (prev in {"every", "each", "all", "on", "for"} and not part_of):
            continue  # a scope word
        field = _field_token(r, i)
        if field is not None and field != "metadata.name":
            r.take(i)
            fields.append(field)
    if not fields:
        return None
    r.take_words("part", "filled", "non-empty")
    kinds = r.scope()
    return _done(r, {"kinds": kinds, "fields": list(dict.fromkeys(fields))})


def field_values(text: str) -> list[dict[str, Any]] | None:
    r = Reading(text)
    if r.negated():
        return None
    at = r.find(lambda t: t.code and bool(re.fullmatch(r"(spec|metadata)\.[A-Za-z][\w.-]*", t.text)))
    if at is None:
        at = r.find(lambda t: not t.code and t.low in {"type", "types"})
    if at is None:
        return None
    field = _field_token(r, at)
    if field is None or field.endswith(_LIFECYCLE_KEY) or field.startswith("metadata.labels"):
        return None  # lifecycles: lifecycle-allowed; labels: label-values
    r.take(at)
    if r.take_words("limited", "allowed", "permitted", "one") == 0 and not r.has("values"):
        return None
    r.take_words("values")
    values = _values_after(r, 0)
    kinds = r.scope()
    if len(values) < 2:
        return None
    return _done(r, {"kinds": kinds, "field": field, "values": values})


_NUMBER = re.compile(r"^\d+$")


def field_length(text: str) -> list[dict[str, Any]] | None:
    r = Reading(text)
    if not r.has("character", "char", "long", "length", "longer", "shorter"):
        return None
    fields = [i for i in range(len(r.toks)) if _field_token(r, i) in FIELD_WORDS.values()]
    if len(fields) != 1:
        return None
    field = _field_token(r, fields[0])
    r.take(fields[0])
    low = r.words()
    lo = hi = None
    for i, w in enumerate(low):
        if not _NUMBER.match(w):
            continue
        before = " ".join(low[max(0, i - 3) : i])
        n = int(w)
        r.take(i)
        if re.search(r"(at least|minimum|min|no shorter than|between)$", before) or (
            "between" in before and lo is None
        ):
            lo = n
        elif re.search(r"(at most|maximum|max|no longer than|up to|and|longer than|than)$", before):
            hi = n
        else:
            return None
    negated = r.negated()
    r.take_words(
        "at",
        "least",
        "most",
        "minimum",
        "maximum",
        "min",
        "max",
        "no",
        "longer",
        "shorter",
        "than",
        "between",
        "character",
        "char",
        "long",
        "length",
        "up",
        "not",
        "never",
        "do",
        "use",
    )
    if negated and (lo is not None or hi is None or not re.search(r"longer than", text, re.I)):
        return None
    kinds = r.scope()
    if lo is None and hi is None:
        return None
    return _done(r, {"kinds": kinds, "field": field, "min": lo or 0, "max": hi or 0})


_CASES = {
    "kebab-case": (r"^[a-z0-9]+(-[a-z0-9]+)*$", "kebab-case (lowercase words joined by hyphens)"),
    "lowercase": (r"^[^A-Z]*$", "lowercase"),
    "lower-case": (r"^[^A-Z]*$", "lowercase"),
}


def _pattern(r: Reading) -> tuple[str, str] | None:
    """(regex, how the bullet said it) for a naming rule, taking its words."""
    for i, t in enumerate(r.toks):
        if t.code or r.used[i]:
            continue
        if t.low in _CASES:
            r.take(i)
            return _CASES[t.low]
        nxt = r.codes(i + 1)
        if not nxt:
            continue
        value = r.toks[nxt[0]].text
        if t.low in {"start", "starts", "begin", "begins", "prefix", "prefixed"}:
            r.take(i), r.take(nxt[0])
            return f"^{re.escape(value)}", f"starts with `{value}`"
        if t.low in {"end", "ends", "suffix", "suffixed"}:
            r.take(i), r.take(nxt[0])
            return f"{re.escape(value)}$", f"ends with `{value}`"
        if t.low in {"match", "matches"}:
            r.take(i), r.take(nxt[0])
            try:
                re.compile(value)
            except re.error:
                return None
            return value, f"matches `{value}`"
    return None


def name_pattern(text: str) -> list[dict[str, Any]] | None:
    r = Reading(text)
    if not r.has("name", "named") or r.negated() or r.has("owner", "owned", "unique", "taken"):
        return None
    got = _pattern(r)
    if got is None:
        return None
    r.take_words("name", "named", "with", "be", "written", "in")
    kinds = r.scope()
    return _done(r, {"kinds": kinds, "pattern": got[0], "says": got[1]})


def owner_name(text: str) -> list[dict[str, Any]] | None:
    r = Reading(text)
    if not r.has("owner", "owned", "spec.owner") or r.negated():
        return None
    got = _pattern(r)
    if got is None:
        return None
    r.take_words("owner", "owned", "name", "named", "names", "whose", "with", "be", "spec.owner")
    is_group = r.take_words("group", "team") > 0
    kinds = r.scope()
    out = _done(r, {"kinds": kinds, "pattern": got[0], "says": got[1]})
    if out is None:
        return None
    return [{**out[0], "_also": "owner-is-group"}] if is_group else out


_LIFECYCLES = ("production", "experimental", "deprecated")


def relation_lifecycle(text: str) -> list[dict[str, Any]] | None:
    r = Reading(text)
    if not r.has("depend", "dependency", "dependsOn".lower()):
        return None
    dep = r.find(lambda t: not t.code and _singular(t.low) in {"depend", "dependency", "dependson"})
    assert dep is not None
    r.take_words("depend", "dependency", "dependson", "upon", "let", "other", "ones", "something")
    subject = [i for i in range(dep) if _lifecycle_word(r.toks[i])]
    targets = [i for i in range(dep + 1, len(r.toks)) if _lifecycle_word(r.toks[i])]
    if len(subject) != 1 or not targets:
        return None
    lifecycle = r.take(subject[0]).text.strip("`").lower()
    listed = [r.take(i).text.strip("`").lower() for i in targets]
    only = r.take_words("only") > 0
    negated = r.negated()
    r.take_words("not", "never", "no", "don't", "mustn't", "cannot", "may", "can", "allowed", "ones")
    if negated == only:
        return None  # "must not depend on X" lists what is forbidden, "only on X" what is allowed
    forbidden = listed if negated else [v for v in _LIFECYCLES if v not in listed]
    kinds = r.scope()
    return _done(r, {"kinds": kinds, "lifecycle": lifecycle, "forbidden": forbidden})


def _lifecycle_word(t: Tok) -> bool:
    return t.low.strip("`") in _LIFECYCLES


CODEOWNERS = "CODEOWNERS|.github/CODEOWNERS|docs/CODEOWNERS|.gitlab/CODEOWNERS"


def repo_file(text: str) -> list[dict[str, Any]] | None:
    r = Reading(text)
    if r.negated() or not r.has("file", "repository", "repo", "exist", "root", "contain"):
        return None
    paths = []
    for i in r.codes():
        name = r.toks[i].text.strip("/")
        if name.lower() == "catalog-info.yaml":
            return None  # the catalog file's place is catalog-info-at-root's
        if re.fullmatch(r"[\w.-]+(/[\w.-]+)*", name) and ("." in name or name.isupper() or "/" in name):
            r.take(i)
            paths.append(CODEOWNERS if name.upper() == "CODEOWNERS" else name)
    if len(paths) != 1:
        return None
    r.take_words("file", "repository", "repo", "exist", "exists", "root", "top-level", "contain", "there")
    mention = ""
    if r.take_words("mention", "mentions", "name", "names", "list", "lists", "naming", "say", "says"):
        if r.take_words("owner", "owning", "team"):
            mention = "owner"
        else:
            said = r.codes()
            if len(said) != 1:
                return None
            mention = r.take(said[0]).text
    return _done(r, {"paths": paths[0].split("|"), "mention": mention})


class Shape(NamedTuple):
    key: str  # the standard key, also the rule's name
    parse: Callable[[str], list[dict[str, Any]] | None]
    triggers: str  # a regex: a bullet matching it but no shape is a near miss
    phrasings: tuple[str, str]  # two ways to write it (docs, POL001's nearest phrasing)


SHAPES: tuple[Shape, ...] = (
    Shape(
        "relation-lifecycle",
        relation_lifecycle,
        r"\bdepend",
        (
            "Production Components MUST NOT depend on experimental or deprecated ones.",
            "`production` services may only depend on `production` entities.",
        ),
    ),
    Shape(
        "owner-name",
        owner_name,
        r"\bowner.*\b(name|prefix|start|end|suffix|match|case)",
        (
            "Owners MUST be groups whose names start with `team-`.",
            "spec.owner names MUST match `^team-[a-z]+$`.",
        ),
    ),
    Shape(
        "required-label",
        required_label,
        r"\blabel",
        (
            "Every Component MUST have the label `tier`.",
            "All services must carry a `cost-center` label with one of `cc-100`, `cc-200`.",
        ),
    ),
    Shape(
        "label-values",
        label_values,
        r"\blabel",
        (
            "The `tier` label, when set, MUST be one of `gold`, `silver`, `bronze`.",
            "Values of the label `env`: `prod`, `staging`, `dev`.",
        ),
    ),
    Shape(
        "required-tag",
        required_tag,
        r"\btag",
        (
            "Every Component MUST be tagged `pci`.",
            "All services must have at least one tag of `java`, `python`, `go`.",
        ),
    ),
    Shape(
        "required-link",
        required_link,
        r"\blink",
        (
            "Every service MUST have a link titled `Runbook`.",
            "Services must link their dashboard.",
        ),
    ),
    Shape(
        "required-annotation",
        required_annotation,
        r"\bannotat|" + "|".join(rf"\b{t}\b" for t in TOOL_ANNOTATIONS),
        (
            "Every Component MUST have the annotation `backstage.io/kubernetes-id`.",
            "All services must carry a PagerDuty annotation.",
        ),
    ),
    Shape(
        "field-length",
        field_length,
        r"\bcharacters?\b|\blength\b",
        (
            "`metadata.description` MUST be at least 20 characters.",
            "Do not use names longer than 40 characters.",
        ),
    ),
    Shape(
        "name-pattern",
        name_pattern,
        r"\bnames?\b.*\b(prefix|start|begin|end|suffix|match|case)",
        (
            "Group names MUST start with `team-`.",
            "Component names must be kebab-case.",
        ),
    ),
    Shape(
        "field-values",
        field_values,
        r"\b(type|spec\.|metadata\.)",
        (
            "`spec.type` MUST be one of `service`, `website`, `library`.",
            "Component types are limited to `service` and `library`.",
        ),
    ),
    Shape(
        "field-required",
        field_required,
        r"\b(declare|set|have|has)\b",
        (
            "API entities MUST declare an owner and a lifecycle.",
            "Set `spec.domain` on every System.",
        ),
    ),
    Shape(
        "repo-file",
        repo_file,
        r"\bfile\b|codeowners|readme",
        (
            "A `CODEOWNERS` file MUST exist and name the owning team.",
            "Every repository must contain `docs/runbook.md`.",
        ),
    ),
)


def read(text: str) -> list[tuple[str, dict[str, Any]]]:
    """The checks a bullet asks for: (standard key, parameters) of the first shape that reads
    it exactly; [] when none does."""
    for shape in SHAPES:
        got = shape.parse(text)
        if got:
            out: list[tuple[str, dict[str, Any]]] = []
            for params in got:
                also = params.pop("_also", None)
                out.append((shape.key, params))
                if also:
                    out.append((str(also), {}))
            return out
    return []


def nearest(text: str) -> Shape | None:
    """The shape a bullet seems to mean but does not say exactly (for POL001's hint)."""
    low = text.lower()
    return next((s for s in SHAPES if re.search(s.triggers, low)), None)
