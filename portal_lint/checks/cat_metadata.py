"""CAT: `metadata` — name, namespace, labels, annotations, tags and links, as
`FieldFormatEntityPolicy` and `EntityMeta.schema.json` check them."""

from __future__ import annotations

from collections.abc import Iterator

from portal_lint.checks import _schema
from portal_lint.checks._fields import (
    DNS_RULE,
    NAME_RULE,
    case_fix,
    in_metadata,
    is_dns_label,
    is_object_name,
    is_prefixed_key,
    is_tag,
    is_url,
    item_span,
    suggest_dns_label,
    suggest_name,
    suggest_tag,
)
from portal_lint.diagnostic import Finding, excerpt
from portal_lint.model import Entity
from portal_lint.parse.tree import PMap, PSeq
from portal_lint.registry import RuleContext, rule

_UNLIMITED = 1 << 30
_KEY_RULE = (
    "`[prefix/]name`, where prefix is a lowercase DNS name (e.g. `example.com`) and name is "
    + NAME_RULE.format(max=63)
)


def _say(suggestion: str | None, otherwise: str) -> str:
    return f': use "{suggestion}"' if suggestion else f": {otherwise}"


@rule("CAT005")
def name_invalid(entity: Entity, ctx: RuleContext) -> Iterator[Finding]:
    md = entity.metadata
    name = md.get("name") if md is not None else None
    if md is None or not isinstance(name, str) or not name:
        return  # missing: required-field-missing; not a string: the type rules
    limit: int = ctx.options["max-length"]
    if is_object_name(name, limit):
        return
    if is_object_name(name, _UNLIMITED):
        message = (
            f"`metadata.name` is {len(name)} characters long, over the limit of {limit}; Backstage "
            "rejects the entity: shorten it (installations that allow longer names set the "
            "`max-length` option)"
        )
    else:
        message = (
            f'`metadata.name` "{excerpt(name)}" is not a valid entity name; Backstage allows '
            f"{NAME_RULE.format(max=limit)}{_say(suggest_name(name, limit), 'rename the entity')}"
        )
    yield Finding(message, md.value_span("name"), pointer="metadata.name")


@rule("CAT006")
def namespace_invalid(entity: Entity, ctx: RuleContext) -> Iterator[Finding]:
    md = entity.metadata
    if md is None or "namespace" not in md:
        return
    ns = md["namespace"]
    if ns is None:
        yield Finding(
            "`metadata.namespace` has no value; delete the key (the namespace defaults to `default`) "
            "or set one",
            md.key_span("namespace"),
            pointer="metadata.namespace",
        )
    elif isinstance(ns, str) and not is_dns_label(ns):
        better = suggest_dns_label(ns)
        span = md.value_span("namespace")
        yield Finding(
            f'`metadata.namespace` "{excerpt(ns)}" is not a valid namespace; Backstage allows {DNS_RULE}'
            f"{_say(better, 'use `default` or a valid namespace')}",
            span,
            pointer="metadata.namespace",
            fix=case_fix(entity, span, ns, better) if better else None,
        )


@rule("CAT008")
def metadata_field_invalid(entity: Entity, ctx: RuleContext) -> Iterator[Finding]:
    yield from _schema.problems(entity, _schema.METADATA_INVALID)


@rule("CAT009")
def label_invalid(entity: Entity, ctx: RuleContext) -> Iterator[Finding]:
    labels = in_metadata(entity, "labels", PMap)
    if labels is None:
        return
    for key, value in labels.items():
        yield from _key_invalid(entity, labels, key, "label", "rename the key")
        if isinstance(value, str) and value and not is_object_name(value):
            yield Finding(
                f'label value "{excerpt(value)}" of `{excerpt(key)}` is not valid; Backstage allows an '
                f"empty string or {NAME_RULE.format(max=63)} (put free text in an annotation)"
                f"{_say(suggest_name(value), 'move the text into an annotation')}",
                labels.value_span(key),
                pointer=f"metadata.labels.{key}",
            )


def _suggest_key(key: str) -> str | None:
    prefix, _, name = key.rpartition("/")
    fixed_name = suggest_name(name) or name
    fixed = f"{prefix.lower().replace('_', '-')}/{fixed_name}" if prefix else fixed_name
    return fixed if fixed != key and is_prefixed_key(fixed) else None


def _key_invalid(entity: Entity, mapping: PMap, key: str, what: str, otherwise: str) -> Iterator[Finding]:
    """The finding when `key` of `metadata.<what>s` is not `[prefix/]name`; `otherwise` is the
    fix when no valid key can be suggested."""
    if not is_prefixed_key(key):
        better = _suggest_key(key)
        span = mapping.key_span(key)
        certain = better is not None and better not in mapping  # never a rename onto another key
        yield Finding(
            f"{what} key `{excerpt(key)}` is not valid; Backstage allows {_KEY_RULE}"
            f"{_say(better, otherwise)}",
            span,
            pointer=f"metadata.{what}s.{key}",
            fix=case_fix(entity, span, key, better) if certain and better else None,
        )


@rule("CAT010")
def annotation_key_invalid(entity: Entity, ctx: RuleContext) -> Iterator[Finding]:
    annotations = in_metadata(entity, "annotations", PMap)
    if annotations is None:
        return
    for key in annotations:
        otherwise = "rename the key, e.g. `example.com/team`"
        yield from _key_invalid(entity, annotations, key, "annotation", otherwise)


@rule("CAT011")
def value_not_string(entity: Entity, ctx: RuleContext) -> Iterator[Finding]:
    yield from _schema.problems(entity, _schema.NOT_STRING)


@rule("CAT014")
def tag_invalid(entity: Entity, ctx: RuleContext) -> Iterator[Finding]:
    tags = in_metadata(entity, "tags", PSeq)
    if tags is None:
        return
    for i, tag in enumerate(tags):
        span, ptr = item_span(tags, i), f"metadata.tags[{i}]"
        if tag is None or tag == "":
            yield Finding(
                f"`{ptr}` is empty; a tag needs 1–63 characters: give it a value or delete it",
                span,
                pointer=ptr,
            )
        elif isinstance(tag, str) and not is_tag(tag):
            better = suggest_tag(tag)
            yield Finding(
                f'tag "{excerpt(tag)}" is not valid; Backstage allows 1–63 characters of lowercase '
                f"[a-z0-9:+#] separated by single `-`{_say(better, 'rewrite or delete the tag')}",
                span,
                pointer=ptr,
                fix=case_fix(entity, span, tag, better) if better else None,
            )


@rule("CAT015")
def link_invalid(entity: Entity, ctx: RuleContext) -> Iterator[Finding]:
    links = in_metadata(entity, "links", PSeq)
    if links is None:
        return
    for i, link in enumerate(links):
        if not isinstance(link, PMap):
            continue  # metadata-field-invalid
        ptr = f"metadata.links[{i}]"
        url = link.get("url")
        if url is None or url == "":
            yield Finding(
                f"`{ptr}` has no `url`; every link needs an absolute URL: add `url: https://…` or delete "
                "the link",
                link.key_span("url") if "url" in link else item_span(links, i),
                pointer=f"{ptr}.url",
            )
        elif isinstance(url, str) and not is_url(url):
            guess = f"https://{url.strip()}"
            hint = (
                f': use "https://{excerpt(url.strip())}"'
                if is_url(guess) and "://" not in url
                else ": write the whole URL, e.g. `https://example.com/dashboard`"
            )
            yield Finding(
                f'`{ptr}.url` "{excerpt(url)}" is not an absolute URL (Backstage parses it with `new URL()`, '
                f"which needs a scheme and, for http(s), a host and a valid port){hint}",
                link.value_span("url"),
                pointer=f"{ptr}.url",
            )
        for key in ("title", "icon", "type"):
            value = link.get(key, ...)
            blank = value is None or (
                isinstance(value, str) and not (value.strip() if key != "type" else value)
            )
            if blank:
                yield Finding(
                    f"`{ptr}.{key}` is empty; give it a value or delete the key",
                    link.key_span(key),
                    pointer=f"{ptr}.{key}",
                )
