"""How times, dates, addresses and phone numbers are written so that a TTS voice reads them naturally."""

from __future__ import annotations

from datetime import datetime

from words.calendar import MONTHS, WEEKDAYS


def day_name(weekday: int, language: str) -> str:
    """"lundi" or "Monday" for 0, as datetime.weekday() counts; the CLDR's names, as the console's are."""
    return WEEKDAYS["en" if language == "en" else "fr"][weekday]


def month_name(month: int, language: str) -> str:
    """"décembre" or "December" for 12."""
    if not 1 <= month <= 12:
        raise ValueError(f"no month {month}")
    return MONTHS["en" if language == "en" else "fr"][month - 1]


def spoken_time(moment: datetime, language: str) -> str:
    if language == "en":
        hour = moment.hour % 12 or 12
        suffix = "am" if moment.hour < 12 else "pm"
        if moment.hour == 12 and moment.minute == 0:
            return "noon"
        return f"{hour}{f':{moment.minute:02d}' if moment.minute else ''} {suffix}"
    if moment.hour == 0 and moment.minute == 0:
        return "minuit"
    if moment.hour == 12 and moment.minute == 0:
        return "midi"
    return f"{moment.hour} heures{f' {moment.minute}' if moment.minute else ''}"


def spoken_moment(moment: datetime, now: datetime, language: str) -> str:
    """'aujourd'hui à 14 heures', 'demain à 9 heures', 'lundi à 9 heures', 'le jeudi 25 décembre à 9 heures'.

    ``moment`` and ``now`` must be in the same (the line's) time zone.
    """
    days_ahead = (moment.date() - now.astimezone(moment.tzinfo).date()).days
    at = spoken_time(moment, language)
    if language == "en":
        at = f"at {at}"
        if days_ahead == 0:
            return f"today {at}"
        if days_ahead == 1:
            return f"tomorrow {at}"
        if days_ahead < 7:
            return f"on {day_name(moment.weekday(), 'en')} {at}"
        return f"on {day_name(moment.weekday(), 'en')} {moment.day} {month_name(moment.month, 'en')} {at}"
    at = f"à {at}"
    if days_ahead == 0:
        return f"aujourd'hui {at}"
    if days_ahead == 1:
        return f"demain {at}"
    if days_ahead < 7:
        return f"{day_name(moment.weekday(), 'fr')} {at}"
    day = "1er" if moment.day == 1 else str(moment.day)
    return f"le {day_name(moment.weekday(), 'fr')} {day} {month_name(moment.month, 'fr')} {at}"


def spoken_email(address: str, language: str) -> str:
    words = {"@": " arobase ", ".": " point ", "-": " tiret ", "_": " tiret bas "}
    if language == "en":
        words = {"@": " at ", ".": " dot ", "-": " dash ", "_": " underscore "}
    return "".join(words.get(char, char) for char in address).strip()


def spoken_digits(number: str) -> str:
    """Digits in pairs, as French numbers are read: '0612345678' → '06 12 34 56 78'."""
    digits = "".join(c for c in number if c.isdigit())
    if len(digits) % 2:
        return " ".join([digits[0]] + [digits[i : i + 2] for i in range(1, len(digits), 2)])
    return " ".join(digits[i : i + 2] for i in range(0, len(digits), 2))


CALLER_TYPES = {
    "fr": {"victim": "victime", "witness": "témoin", "relative": "proche", "professional": "professionnel",
           "author": "auteur de violences", "adult": "adulte", "minor": "mineur", "child": "enfant exposé"},
    "en": {"victim": "victim", "witness": "witness", "relative": "relative", "professional": "professional",
           "author": "perpetrator", "adult": "adult", "minor": "minor", "child": "exposed child"},
}


def caller_type_words(caller_type: str | None, language: str) -> str:
    """The caller type as a listener hears it ("victime"), or the line's own word when it has no translation."""
    if not caller_type:
        return ""
    return CALLER_TYPES.get(language, CALLER_TYPES["fr"]).get(caller_type, caller_type.replace("_", " "))
