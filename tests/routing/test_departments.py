"""Reference tables (départements, provinces, services) and the keypad-to-department resolver."""

from __future__ import annotations

import dataclasses
import datetime as dt

import holidays
import phonenumbers
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from directory_data.reference import ReferenceDataError, load_departments, load_services
from routing.reference import (
    Department,
    Localized,
    Service,
    departments_by_code,
    departments_for_country,
    resolve_department,
)

EXPECTED_FR = (
    {f"{n:02d}" for n in range(1, 20)}
    | {"2A", "2B"}
    | {f"{n:02d}" for n in range(21, 96)}
    | {str(n) for n in range(971, 977)}
)
EXPECTED_BE = {"BRU", "VAN", "VBR", "VLI", "VOV", "VWV", "WBR", "WHT", "WLG", "WLX", "WNA"}


@pytest.fixture(scope="module")
def deps() -> dict[str, Department]:
    return load_departments()


@pytest.fixture(scope="module")
def services() -> dict[str, Service]:
    return load_services()


# --- the table ---------------------------------------------------------------


def test_french_codes_are_exactly_the_departements(deps):
    fr = {d.code for d in deps.values() if d.country == "FR"}
    # 01-19, 2A, 2B, 21-95 (96 codes) plus 971-976.
    assert len(EXPECTED_FR) == 102
    assert fr == EXPECTED_FR
    assert "20" not in deps


def test_belgian_entries(deps):
    be = {d.code: d for d in deps.values() if d.country == "BE"}
    assert set(be) == EXPECTED_BE
    assert len(be) == 11
    for d in be.values():
        assert d.timezone == "Europe/Brussels"
        assert d.holidays_subdivision is None
        assert d.postal_ranges
    assert be["WLG"].name == "Liège"
    assert be["VWV"].name == "Flandre-Occidentale"
    assert be["BRU"].name == "Bruxelles-Capitale"


def test_belgian_postal_ranges_cover_1000_to_9999_exactly_once(deps):
    be = departments_for_country(deps, "BE")
    for postal in range(1000, 10000):
        owners = [d.code for d in be if d.covers_postal_code(postal)]
        assert len(owners) == 1, (postal, owners)


@pytest.mark.parametrize(
    "code, name",
    [
        ("2A", "Corse-du-Sud"),
        ("2B", "Haute-Corse"),
        ("22", "Côtes-d'Armor"),
        ("90", "Territoire de Belfort"),
        ("93", "Seine-Saint-Denis"),
        ("94", "Val-de-Marne"),
        ("974", "La Réunion"),
        ("975", "Saint-Pierre-et-Miquelon"),
    ],
)
def test_names(deps, code, name):
    assert deps[code].name == name


@pytest.mark.parametrize(
    "code, tz, subdiv",
    [
        ("75", "Europe/Paris", None),
        ("57", "Europe/Paris", "57"),
        ("67", "Europe/Paris", "6AE"),
        ("68", "Europe/Paris", "6AE"),
        ("971", "America/Guadeloupe", "971"),
        ("972", "America/Martinique", "972"),
        ("973", "America/Cayenne", "973"),
        ("974", "Indian/Reunion", "974"),
        ("975", "America/Miquelon", "PM"),
        ("976", "Indian/Mayotte", "976"),
    ],
)
def test_timezones_and_subdivisions(deps, code, tz, subdiv):
    assert deps[code].timezone == tz
    assert deps[code].holidays_subdivision == subdiv


def test_metropolitan_france_outside_alsace_moselle_uses_national_calendar(deps):
    special = {"57", "67", "68"}
    for d in deps.values():
        if d.country == "FR" and len(d.code) == 2 and d.code not in special:
            assert d.holidays_subdivision is None, d.code
            assert d.timezone == "Europe/Paris", d.code


@pytest.mark.parametrize("code", ["57", "67", "68"])
def test_alsace_moselle_subdivision_adds_26_december_and_good_friday(deps, code):
    subdiv = deps[code].holidays_subdivision
    local = holidays.country_holidays("FR", subdiv=subdiv, years=2025)
    national = holidays.country_holidays("FR", years=2025)
    assert dt.date(2025, 12, 26) in local
    assert dt.date(2025, 12, 26) not in national
    assert dt.date(2025, 4, 18) in local  # Good Friday 2025
    assert dt.date(2025, 4, 18) not in national


def test_every_subdivision_is_accepted_by_holidays(deps):
    for d in deps.values():
        holidays.country_holidays(d.country, subdiv=d.holidays_subdivision, years=2025)


def test_values_are_frozen_and_hashable(deps, services):
    d = deps["94"]
    with pytest.raises(dataclasses.FrozenInstanceError):
        d.name = "x"  # type: ignore[misc]
    assert len({*deps.values(), *services.values()}) == len(deps) + len(services)


def test_load_returns_a_fresh_dict_over_a_cached_parse():
    a, b = load_departments(), load_departments()
    assert a == b and a is not b
    a.pop("94")
    assert "94" in load_departments()


def test_departments_by_code_rejects_duplicates(deps):
    assert departments_by_code(deps.values()) == deps
    with pytest.raises(ValueError):
        departments_by_code([deps["94"], deps["94"]])


# --- resolve_department ----------------------------------------------------


@pytest.mark.parametrize(
    "typed, expected",
    [
        ("94000", "94"),
        ("94300", "94"),
        ("75001", "75"),
        ("01000", "01"),
        ("95000", "95"),
        ("20000", "2A"),
        ("20090", "2A"),
        ("20167", "2A"),
        ("20200", "2B"),
        ("20600", "2B"),
        ("97411", "974"),
        ("97600", "976"),
        ("97133", "971"),
        ("97150", "971"),
        ("97500", "975"),
        ("97300", "973"),
        ("94", "94"),
        ("01", "01"),
        ("974", "974"),
        ("971", "971"),
        ("94#", "94"),
        ("*94000#", "94"),
        (" 94000 ", "94"),
        ("20", None),
        ("00", None),
        ("96", None),
        ("970", None),
        ("977", None),
        ("98000", None),
        ("00100", None),
        ("96000", None),
        ("97000", None),
        ("97700", None),
        ("9400", None),
        ("940000", None),
        ("9", None),
        ("94 000", None),
        ("9#4", None),
        ("2A", None),
        ("abc", None),
        ("", None),
        ("#", None),
        ("٩٤", None),  # Arabic-Indic digits are not keypad digits
        ("9" * 200, None),
    ],
)
def test_resolve_french(deps, typed, expected):
    got = resolve_department(typed, "FR", deps)
    assert (got.code if got else None) == expected


@pytest.mark.parametrize(
    "typed, expected",
    [
        ("4000", "WLG"),
        ("4700", "WLG"),
        ("1000", "BRU"),
        ("1299", "BRU"),
        ("1300", "WBR"),
        ("1500", "VBR"),
        ("3000", "VBR"),
        ("3500", "VLI"),
        ("2000", "VAN"),
        ("5000", "WNA"),
        ("6000", "WHT"),
        ("7000", "WHT"),
        ("6600", "WLX"),
        ("8000", "VWV"),
        ("9000", "VOV"),
        ("4000#", "WLG"),
        ("0999", None),
        ("400", None),
        ("40000", None),
        ("94", None),
        ("", None),
        ("abc", None),
    ],
)
def test_resolve_belgian(deps, typed, expected):
    got = resolve_department(typed, "BE", deps)
    assert (got.code if got else None) == expected


def test_resolve_country_handling(deps):
    assert resolve_department("94000", "fr", deps).code == "94"
    assert resolve_department("4000", "be", deps).code == "WLG"
    assert resolve_department("94000", "DE", deps) is None
    assert resolve_department("94000", "", deps) is None
    # A French code typed on a Belgian line does not leak across countries.
    assert resolve_department("94", "BE", deps) is None
    assert resolve_department("4000", "FR", deps) is None


def test_resolve_only_returns_what_the_table_holds(deps):
    partial = {k: v for k, v in deps.items() if k != "94"}
    assert resolve_department("94000", "FR", partial) is None
    assert resolve_department("94000", "FR", {}) is None


@settings(max_examples=500, deadline=None)
@given(
    typed=st.one_of(
        st.text(),
        st.text(alphabet="0123456789#* ", max_size=12),
        st.from_regex(r"\A[0-9]{2,5}\Z"),
    ),
    country=st.one_of(st.sampled_from(["FR", "BE", "fr", "be", "", "DE"]), st.text(max_size=4)),
)
def test_resolve_never_raises(typed, country):
    deps = load_departments()
    got = resolve_department(typed, country, deps)
    assert got is None or (got.code in deps and got.country == country.strip().upper())


@given(st.integers(min_value=1000, max_value=95999))
def test_every_metropolitan_postal_code_resolves_to_its_prefix(postal):
    deps = load_departments()
    typed = f"{postal:05d}"
    got = resolve_department(typed, "FR", deps)
    if typed.startswith("20"):
        assert got.code == ("2A" if typed[2] in "01" else "2B")
    else:
        assert got.code == typed[:2]


@pytest.mark.parametrize("garbage", [None, 94000, b"94000", ["94"]])
def test_resolve_non_string_input(deps, garbage):
    assert resolve_department(garbage, "FR", deps) is None  # type: ignore[arg-type]
    assert resolve_department("94000", garbage, deps) is None  # type: ignore[arg-type]


# --- services ---------------------------------------------------------------


def test_services_load(services):
    assert {"fr-17", "fr-112", "fr-114", "fr-115", "fr-119", "fr-3919", "be-112", "be-107"} <= set(services)
    for sid, s in services.items():
        assert s.id == sid
        assert s.country in {"FR", "BE"}
        assert s.number.isdigit()
        for field in (s.name, s.spoken, s.description, s.hours):
            assert isinstance(field, Localized) and field.fr and field.en
        if s.dial_number is not None:
            assert phonenumbers.is_possible_number(phonenumbers.parse(s.dial_number))
        else:
            assert not s.fictitious_dial_number


def test_114_is_sms_only(services):
    s = services["fr-114"]
    assert s.sms_only
    assert s.dial_number is None
    assert not s.can_forward
    assert sum(x.sms_only for x in services.values()) == 1


def test_be_107_dial_number_is_fictitious(services):
    s = services["be-107"]
    assert s.country == "BE"
    assert s.fictitious_dial_number is True
    assert s.dial_number == "+3225550107"
    n = phonenumbers.parse(s.dial_number)
    assert phonenumbers.region_code_for_number(n) == "BE"
    assert phonenumbers.is_possible_number(n)
    assert s.can_forward


def test_3919_spoken_and_localized_fallback(services):
    s = services["fr-3919"]
    assert s.spoken.fr == "le 39 19"
    assert s.name.get("fr") == "Violences Femmes Info"
    assert s.name.get("en-GB") == "Violence against women helpline"
    assert s.name.get("nl") == s.name.fr
    assert s.name.get(None) == s.name.fr


def test_only_fictitious_dial_numbers_ship(services):
    # The shipped data must not contain a real long number presented as real.
    for s in services.values():
        assert s.dial_number is None or s.fictitious_dial_number, s.id


# --- validation errors ------------------------------------------------------

GOOD_DEP = """\
departments:
  - code: "94"
    name: Val-de-Marne
    country: FR
    timezone: Europe/Paris
    holidays_subdivision: null
  - code: "WLG"
    name: Liège
    country: BE
    timezone: Europe/Brussels
    holidays_subdivision: null
    postal_ranges: [[4000, 4999]]
"""


def _write(tmp_path, name, text):
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


def test_small_valid_file_loads(tmp_path):
    got = load_departments(_write(tmp_path, "d.yaml", GOOD_DEP))
    assert list(got) == ["94", "WLG"]
    assert got["WLG"].postal_ranges == ((4000, 4999),)


@pytest.mark.parametrize(
    "old, new, key, words",
    [
        ("timezone: Europe/Paris", "timezone: Europe/Pariss", "departments[0].timezone", "timezone"),
        ("country: FR", "country: DE", "departments[0].country", "DE"),
        ('code: "94"', "code: 01", "departments[0].code", "quoted"),
        ('code: "94"', 'code: "20"', "departments[0].code", "not a valid"),
        ("holidays_subdivision: null\n  - code", 'holidays_subdivision: "Alsace"\n  - code',
         "departments[0].holidays_subdivision", "6AE"),
        ("    name: Val-de-Marne\n", "", "departments[0].name", "missing"),
        ("[[4000, 4999]]", "[[4000, 3999]]", "departments[1].postal_ranges[0]", "low <= high"),
        ("    timezone: Europe/Paris\n", "    timezone: Europe/Paris\n    timzone: x\n",
         "departments[0].timzone", "unknown key"),
    ],
)
def test_malformed_departments_name_the_key_path(tmp_path, old, new, key, words):
    assert old in GOOD_DEP
    path = _write(tmp_path, "departments.yaml", GOOD_DEP.replace(old, new, 1))
    with pytest.raises(ReferenceDataError) as exc:
        load_departments(path)
    msg = str(exc.value)
    assert str(path) in msg
    assert f": {key}:" in msg
    assert words in msg
    assert exc.value.key == key


def test_duplicate_department_code(tmp_path):
    first = GOOD_DEP.split("  - code: \"WLG\"", 1)[0]
    path = _write(tmp_path, "departments.yaml", first + first.split("departments:\n", 1)[1])
    with pytest.raises(ReferenceDataError, match=r"departments\[1\]\.code: duplicate code '94'"):
        load_departments(path)


def test_overlapping_belgian_ranges(tmp_path):
    text = GOOD_DEP + """\
  - code: "WNA"
    name: Namur
    country: BE
    timezone: Europe/Brussels
    holidays_subdivision: null
    postal_ranges: [[5000, 5999], [4990, 4999]]
"""
    path = _write(tmp_path, "departments.yaml", text)
    with pytest.raises(ReferenceDataError, match=r"departments\[2\]\.postal_ranges\[1\]: .*overlaps.*'WLG'"):
        load_departments(path)


def test_twelfth_entry_timezone_error_names_index(tmp_path):
    entries = "".join(
        f'  - code: "{n:02d}"\n    name: D{n}\n    country: FR\n'
        f"    timezone: {'Mars/Olympus' if n == 13 else 'Europe/Paris'}\n    holidays_subdivision: null\n"
        for n in range(1, 16)
    )
    path = _write(tmp_path, "departments.yaml", "departments:\n" + entries)
    with pytest.raises(ReferenceDataError, match=r"departments\[12\]\.timezone: unknown IANA timezone"):
        load_departments(path)


@pytest.mark.parametrize(
    "text, key",
    [
        ("departments: [\n", "<file>"),
        ("- 1\n- 2\n", "<root>"),
        ("departments: []\n", "departments"),
        ("departments:\n  - just a string\n", "departments[0]"),
    ],
)
def test_structurally_broken_files(tmp_path, text, key):
    path = _write(tmp_path, "departments.yaml", text)
    with pytest.raises(ReferenceDataError) as exc:
        load_departments(path)
    assert exc.value.key == key
    assert str(path) in str(exc.value)


def test_missing_file(tmp_path):
    with pytest.raises(ReferenceDataError, match="cannot read"):
        load_departments(tmp_path / "nope.yaml")


GOOD_SVC = """\
services:
  - id: be-107
    number: "107"
    country: BE
    sms_only: false
    dial_number: "+3225550107"
    fictitious_dial_number: true
    name: {fr: "Télé-Accueil", en: "Listening line"}
    spoken: {fr: "le 107", en: "1 0 7"}
    description: {fr: "Appelez le 107.", en: "Call 107."}
    hours: {fr: "24 heures sur 24", en: "24/7"}
"""


@pytest.mark.parametrize(
    "old, new, key",
    [
        ('"+3225550107"', '"+33 1 23"', "services[0].dial_number"),
        ('"+3225550107"', '"025550107"', "services[0].dial_number"),
        ('"+3225550107"', '"+33189119494"', "services[0].dial_number"),  # French number for a BE service
        ('"+3225550107"', "null", "services[0].fictitious_dial_number"),
        ("sms_only: false", "sms_only: \"no\"", "services[0].sms_only"),
        ('number: "107"', "number: 107", "services[0].number"),
        ('en: "Call 107."', 'de: "Ruf 107 an."', "services[0].description.en"),
        ("country: BE", "country: NL", "services[0].country"),
    ],
)
def test_malformed_services_name_the_key_path(tmp_path, old, new, key):
    assert old in GOOD_SVC
    path = _write(tmp_path, "services.yaml", GOOD_SVC.replace(old, new, 1))
    with pytest.raises(ReferenceDataError) as exc:
        load_services(path)
    assert f"{path}: {key}:" in str(exc.value)


def test_duplicate_service_id(tmp_path):
    body = GOOD_SVC.split("services:\n", 1)[1]
    path = _write(tmp_path, "services.yaml", "services:\n" + body + body)
    with pytest.raises(ReferenceDataError, match=r"services\[1\]\.id: duplicate id 'be-107'"):
        load_services(path)
