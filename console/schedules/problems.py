"""The loader's refusals put in the console's words, next to the field they concern.

Each problem comes with its code and values (directory_data/problems.py); the words are the catalogue's
``problem.<code>`` (words/translations). A code the catalogue has no words for yet is shown as the
command line says it, in English, rather than not at all.
"""

from __future__ import annotations

from console.texts import t
from store.directory_edits import Problem


def problem_words(problem: Problem) -> str:
    """The problem in the account's language, with the other file it is reported in when it is not this one."""
    key = f"problem.{problem.code}"
    words = t(key, **problem.values)
    if words == key:
        words = t("problem.as_written", message=problem.message)
    return t("problem.elsewhere", where=problem.elsewhere, words=words) if problem.elsewhere else words
