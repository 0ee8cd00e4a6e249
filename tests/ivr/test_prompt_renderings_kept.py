"""Renderings kept by ivr.prompts.render_text (issue 17) are given back only for the very values they were made
with: never for a text that reads the clock, never across types that compare equal."""

from __future__ import annotations

from collections import namedtuple
from datetime import datetime
from zoneinfo import ZoneInfo

from ivr import prompts

PARIS = ZoneInfo("Europe/Paris")
Service = namedtuple("Service", "spoken hours")
Other = namedtuple("Other", "hours spoken")


def fresh(text: str, **context) -> str:
    return " ".join(prompts.compile_text(text).render(**context).split())


def test_a_kept_rendering_is_the_rendering_of_the_same_values():
    prompts._RENDERED.clear()
    text = prompts.template("forwarding", "fr", "FR")
    for label in ("le 107, Télé-Accueil", "l'équipe d'écoute", "le 107, Télé-Accueil"):
        assert prompts.render_text(text, label=label, country="FR") == fresh(text, label=label)
    assert len(prompts._RENDERED) == 2


def test_the_alternatives_are_kept_as_tuples_of_texts_and_read_as_the_dicts_were():
    text = prompts.template("alternatives", "en", "FR")
    services = (Service("the 39 19", "24 hours a day"), Service("the 119", None))
    as_dicts = [{"spoken": "the 39 19", "hours": "24 hours a day"}, {"spoken": "the 119", "hours": None}]
    assert prompts.render_text(text, services=services) == fresh(text, services=as_dicts)
    assert prompts.render_text(text, services=services) == fresh(text, services=as_dicts)
    assert prompts.render_text(text, services=as_dicts) == fresh(text, services=as_dicts)  # a list: not kept


def test_values_equal_but_written_differently_are_not_confused():
    prompts._RENDERED.clear()
    text = "{{ x }} {{ y is defined }}"
    assert prompts.render_text(text, x=1, y=1) == "1 True"
    assert prompts.render_text(text, x=True, y=1) == "True True"
    assert prompts.render_text(text, x=1) == "1 False"
    fields = "{% for s in x %}{{ s[0] }}{% endfor %}"
    assert prompts.render_text(fields, x=(Service("a", "b"),)) == "a"
    assert prompts.render_text(fields, x=(Other("b", "a"),)) == "b"


def test_a_text_that_reads_the_clock_or_chance_is_rendered_every_time():
    prompts._RENDERED.clear()
    closed = prompts.template("closed", "fr", "FR")
    for day in (24, 25):
        now = datetime(2026, 11, day, 22, 0, tzinfo=PARIS)
        reopens = datetime(2026, 11, 25, 9, 0, tzinfo=PARIS)
        context = {"now": now, "reason": "outside_hours", "detail": "", "reopens": reopens}
        assert prompts.render_text(closed, **context) == fresh(closed, **context)
    assert prompts.render_text("{{ ['a'] | random }}") == "a"
    assert not prompts._RENDERED
