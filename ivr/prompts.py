"""The prompt book: French and English Jinja2 templates for everything a caller or a centre hears."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from jinja2 import Environment, StrictUndefined, Template, meta, nodes

from ivr.kept import keep
from ivr.spoken import spoken_digits, spoken_email, spoken_moment, spoken_time

PROMPTS_DIR = Path(__file__).resolve().parent.parent / "directory_data" / "prompts"
LANGUAGES = ("fr", "en")


def _environment() -> Environment:
    # TwiML escaping is done by twilio's XML builder, so templates render plain text.
    env = Environment(autoescape=False, undefined=StrictUndefined, keep_trailing_newline=False)
    env.filters["spoken_moment"] = spoken_moment
    env.filters["spoken_time"] = spoken_time
    env.filters["spoken_email"] = spoken_email
    env.filters["spoken_digits"] = spoken_digits
    return env


ENV = _environment()


@lru_cache(maxsize=4)
def _catalogue(language: str) -> dict[str, Any]:
    return yaml.safe_load((PROMPTS_DIR / f"{language}.yaml").read_text(encoding="utf-8"))


@lru_cache(maxsize=2048)
def compile_text(text: str) -> Template:
    return ENV.from_string(text)


def prompt_keys(language: str = "fr") -> list[str]:
    return sorted(_catalogue(language))


class NoCountryVariant(LookupError):
    """A prompt that differs by country (the danger numbers) asked for a country it does not know."""


def render(name: str, language: str, /, country: str | None = None, *, called_back: bool = False,
           **context: Any) -> str:
    """The prompt ``name`` in ``language`` (French when missing), rendered with ``context``; ``called_back``, on a
    safe callback, takes its ``<name>_called_back`` wording where there is one (the person called back, not "the
    caller").

    Prompts that name emergency numbers have one variant per country; rendering one needs the line's country
    — by position or by keyword — and never guesses it (the loader refuses a line of a country that has no
    variant: directory_data.reference.safety_countries)."""
    return render_text(template(name, language, country, called_back), country=country, **context)


@lru_cache(maxsize=1024)
def template(name: str, language: str, country: str | None = None, called_back: bool = False) -> str:
    """The words of prompt ``name`` as written in the catalogue, before rendering (see render): looked up once."""
    language = language if language in LANGUAGES else "fr"
    if called_back and f"{name}_called_back" in _catalogue("fr"):
        name = f"{name}_called_back"
    entry = _catalogue(language).get(name)
    if entry is None:
        entry = _catalogue("fr")[name]
    if isinstance(entry, dict):
        if country not in entry:
            raise NoCountryVariant(f"prompt {name!r} has no {language} variant for country {country!r}")
        entry = entry[country]
    return entry


def render_text(text: str, **context: Any) -> str:
    """A line's own words (greeting, messages) are templates too, with the same variables and filters.

    A rendering that depends only on plain values (texts, numbers, tuples of them: "forwarding" with its label, the
    alternatives' services) is kept under those very values and given back for them; one that reads the clock
    (``now``) or anything random is rendered every time. A caller's own words (their number read back) are
    rendered with render_unkept, never kept."""
    if "{" not in text:  # no variable, tag or comment: Jinja would give the text back as it is
        return _plain(text)
    names = _kept_variables(text)
    try:
        key = (text, tuple(_frozen(context.get(name, _MISSING)) for name in names)) if names is not None else None
    except _NotPlain:
        key = None
    rendered = _RENDERED.get(key) if key is not None else None
    if rendered is None:
        rendered = _rendering(text, context)
        if key is not None:
            keep(_RENDERED, key, rendered, MAX_RENDERED)
    return rendered


def render_unkept(text: str, **context: Any) -> str:
    """render_text for a text whose context holds something of the caller's (their number, spoken): rendered
    every time, and nothing of it is kept in this worker's memory once the answer is sent."""
    return _rendering(text, context) if "{" in text else _plain(text)


def _rendering(text: str, context: dict[str, Any]) -> str:
    return " ".join(compile_text(text).render(**context).split())


MAX_RENDERED = 2048  # renderings kept per worker; past that the lot is dropped and kept again as calls come
_RENDERED: dict[tuple, str] = {}
_MISSING = object()  # a variable the context does not give ("closes is defined")
# Names whose value is not a function of the context: a text using one is rendered every time.
_NOT_PURE = frozenset({"now", "random", "lipsum", "cycler", "joiner"})


class _NotPlain(Exception):
    """A value the key cannot describe exactly (a datetime, a dict, an object): render every time."""


@lru_cache(maxsize=2048)
def _kept_variables(text: str) -> tuple[str, ...] | None:
    """The variables a text's rendering depends on, or None when it cannot be kept (see render_text)."""
    tree = ENV.parse(text)
    used = {node.name for node in tree.find_all((nodes.Name, nodes.Filter))}
    if used & _NOT_PURE:
        return None
    return tuple(sorted(meta.find_undeclared_variables(tree)))


def _frozen(value: Any) -> Any:
    """``value`` as a key that equals only values rendered the same (its type in it: 1 == True == 1.0)."""
    kind = type(value)
    if kind is str or kind is int or kind is bool or value is None or value is _MISSING:
        return kind, value
    if isinstance(value, tuple):  # a named tuple's type, in the key, names its fields
        return kind, tuple(_frozen(item) for item in value)
    raise _NotPlain


def is_plain(text: str) -> bool:
    """Whether ``text`` renders as itself (spaces aside) whatever the context: render_text needs none."""
    return "{" not in text


def plain(text: str) -> str:
    """render_text of a text that is_plain, without a context."""
    return _plain(text)


@lru_cache(maxsize=2048)
def _plain(text: str) -> str:
    return " ".join(text.split())


def compile_all() -> int:
    """Read every catalogue and compile every prompt (a worker does it before its first call); how many."""
    texts = [entry for language in LANGUAGES for name in prompt_keys(language)
             for entry in _variants(_catalogue(language)[name])]
    for text in texts:
        compile_text(text)
    return len(texts)


def _variants(entry: str | dict[str, str]) -> list[str]:
    return list(entry.values()) if isinstance(entry, dict) else [entry]


def has_prompt(key: str) -> bool:
    return key in _catalogue("fr")
