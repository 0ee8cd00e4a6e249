"""Each seed line at the edges of its published hours, played through the signed webhooks."""

from __future__ import annotations

from sqlalchemy import select

from store.extension import database
from store.models import Call
from tests.conftest import at_brussels, at_paris

FRANCE_VICTIMES = "+33199000116"
UN_PREMIER_PAS = "+33199009494"
EVC = "+3225550300"
LINE_3977 = "+33199003977"
BE_107 = "+3225550107"
CENTRE_94 = "+33199000094"


def recorded_call(app, sid: str) -> Call:
    with app.app_context(), database.session() as session:
        call = session.scalar(select(Call).where(Call.sid == sid))
        call.events  # load while the session is open
        return call


# --- 08VICTIMES / 116 006: 7/7 9h-21h, email announced after hours -----------------------------------------


def test_france_victimes_open_sunday_2059_puts_caller_through_to_the_listening_room(call):
    transcript = call(FRANCE_VICTIMES, at=at_paris(2026, 11, 22, 20, 59))
    assert "+33199000101" in transcript.dialled
    assert "fermés" not in transcript.said()
    assert "arobase" not in transcript.said()


def test_france_victimes_closed_sunday_2100_announces_email_and_reopening(call):
    transcript = call(FRANCE_VICTIMES, at=at_paris(2026, 11, 22, 21, 0))
    said = transcript.said()
    assert "Nous sommes actuellement fermés" in said
    assert "Nous rouvrons demain à 9 heures" in said
    assert "08victimes arobase inavem point org" in said
    assert transcript.dialled == []
    assert transcript.of("hangup")


def test_france_victimes_open_on_a_public_holiday(call):
    transcript = call(FRANCE_VICTIMES, at=at_paris(2026, 12, 25, 10, 0))
    assert "+33199000101" in transcript.dialled


def test_france_victimes_caller_can_switch_to_english(call):
    transcript = call(FRANCE_VICTIMES, at=at_paris(2026, 11, 22, 22, 0), presses=["9"])
    said = transcript.said()
    assert "We are closed at the moment" in said
    assert "08victimes at inavem dot org" in said


# --- Écoute Violences Conjugales: Mon-Fri 9h-19h, closed on Belgian holidays, 107 outside hours --------------


def test_evc_open_monday_1859_rings_the_listening_team_not_107(call):
    transcript = call(EVC, at=at_brussels(2026, 11, 23, 18, 59))
    assert transcript.dialled == ["+3225550301"]
    assert "fermés" not in transcript.said()


def test_evc_forwards_to_107_at_1900_with_the_line_number_as_caller_id(call):
    transcript = call(EVC, at=at_brussels(2026, 11, 23, 19, 0))
    assert transcript.dialled == [BE_107]
    assert "caller ID +3225550300" in transcript.of("dial")[0]
    said = transcript.said()
    assert "Nous rouvrons demain à 9 heures" in said
    assert "le 107, Télé-Accueil" in said


def test_evc_forwards_to_107_all_day_on_belgian_national_day(call):
    for hour in (9, 12, 18):
        transcript = call(EVC, at=at_brussels(2026, 7, 21, hour, 0))
        assert transcript.dialled == [BE_107], hour
        assert "jour férié : Fête nationale" in transcript.said()
        assert "Nous rouvrons demain à 9 heures" in transcript.said()


def test_evc_busy_107_ends_politely_with_the_danger_numbers(call):
    transcript = call(EVC, at=at_brussels(2026, 11, 23, 20, 0), outcomes={BE_107: "busy"})
    said = transcript.said()
    assert transcript.dialled == [BE_107]
    assert "Le service vers lequel nous vous dirigions n'a pas pu répondre" in said
    assert "Tous nos écoutants" not in said  # nobody from the line is on duty at night
    assert "appelez le 101 ou le 112" in said
    assert transcript.of("hangup")


def test_evc_listening_team_busy_in_hours_switches_to_107(call):
    transcript = call(EVC, at=at_brussels(2026, 11, 23, 11, 0), outcomes={"+3225550301": "no-answer"})
    assert transcript.dialled == ["+3225550301", BE_107]


# --- Un premier pas: Mon-Fri 9h-17h, names 3919 and 115 when closed, minors oriented -----------------------


def test_un_premier_pas_closed_on_saturday_names_3919_and_115(call):
    transcript = call(UN_PREMIER_PAS, at=at_paris(2026, 11, 28, 11, 0), presses=["1"])
    said = transcript.said()
    assert "Nous rouvrons lundi à 9 heures" in said
    assert "le 39 19, Violences Femmes Info" in said
    assert "le 115" in said
    assert transcript.dialled == []


def test_un_premier_pas_minor_hears_child_protection_information_and_no_one_is_dialled(call, app):
    transcript = call(UN_PREMIER_PAS, at=at_paris(2026, 11, 24, 10, 0), presses=["2"])
    assert "appelez le 119" in transcript.said()
    assert transcript.dialled == []
    record = recorded_call(app, transcript.call_sid)
    assert record.caller_type == "minor"
    assert record.outcome == "menu_information"


def test_un_premier_pas_silent_caller_is_still_put_through(call):
    transcript = call(UN_PREMIER_PAS, at=at_paris(2026, 11, 24, 10, 0), presses=[])
    assert transcript.dialled == ["+33199009495"]


# --- 3977: national platform handing off to département centres ---------------------------------------------


def test_3977_postal_code_94_is_handed_to_the_94_centre_with_a_whisper(call, app):
    transcript = call(LINE_3977, at=at_paris(2026, 11, 24, 10, 0), presses=["94300#"])
    assert transcript.dialled == [CENTRE_94]
    assert transcript.of("whisper") == ["Appel transféré par le 3977, département 94, Val-de-Marne."]
    assert "caller ID +33199003977" in transcript.of("dial")[0]
    record = recorded_call(app, transcript.call_sid)
    assert record.department == "94"
    assert record.outcome == "handed_off"


def test_3977_corsican_postal_code_20000_goes_to_the_2a_centre(call):
    transcript = call(LINE_3977, at=at_paris(2026, 11, 24, 10, 0), presses=["20000#"])
    assert transcript.dialled == ["+33199000020"]
    assert "département 2A" in transcript.of("whisper")[0]


def test_3977_reunion_postal_code_97411_goes_to_the_974_centre_in_its_own_time_zone(call):
    # 10:00 in Paris is 13:00 in La Réunion: inside the centre's 08:00-16:00.
    transcript = call(LINE_3977, at=at_paris(2026, 11, 24, 10, 0), presses=["97411#"])
    assert transcript.dialled == ["+33199000974"]
    assert "département 974" in transcript.of("whisper")[0]
    # 14:00 in Paris is 17:00 there: closed, so the national route answers.
    transcript = call(LINE_3977, at=at_paris(2026, 11, 24, 14, 0), presses=["97411#"])
    assert transcript.dialled == ["+33199003901"]


def test_3977_centre_closed_takes_the_national_route(call):
    transcript = call(LINE_3977, at=at_paris(2026, 11, 24, 18, 0), presses=["94000#"])
    assert transcript.dialled == ["+33199003901"]
    assert transcript.of("whisper") == ["Appel transféré par le 3977."]


def test_3977_alsace_centre_closed_on_saint_stephens_day_but_national_line_open(call):
    transcript = call(LINE_3977, at=at_paris(2026, 12, 26, 10, 0), presses=["67000#"])
    assert transcript.dialled == ["+33199003901"]


def test_3977_invalid_postal_codes_reprompt_then_take_the_national_route(call):
    transcript = call(LINE_3977, at=at_paris(2026, 11, 24, 10, 0), presses=["123#", "98000#", "4#"])
    said = transcript.said()
    assert said.count("Nous n'avons pas reconnu ce code postal") == 2
    assert "plateforme nationale" in said
    assert transcript.dialled == ["+33199003901"]


def test_3977_caller_who_does_not_know_the_postal_code_reaches_the_national_platform(call):
    transcript = call(LINE_3977, at=at_paris(2026, 11, 24, 10, 0), presses=["#"])
    assert transcript.dialled == ["+33199003901"]


def test_3977_centre_busy_falls_back_to_the_national_platform(call):
    transcript = call(LINE_3977, at=at_paris(2026, 11, 24, 10, 0), presses=["94000#"],
                      outcomes={CENTRE_94: "busy"})
    assert transcript.dialled == [CENTRE_94, "+33199003901"]


def test_quick_exit_key_ends_the_call_at_once_without_a_word(call, app):
    transcript = call(LINE_3977, at=at_paris(2026, 11, 24, 10, 0), presses=["*"])
    said_before_exit = transcript.said()
    assert transcript.of("hangup")
    assert transcript.dialled == []
    assert "Au revoir" not in said_before_exit
    assert recorded_call(app, transcript.call_sid).outcome == "quick_exit"


def test_3977_closed_does_not_promise_the_national_platform_when_no_postal_code_is_given(call):
    transcript = call(LINE_3977, at=at_paris(2026, 11, 28, 20, 0), presses=["#", "2"])
    said = transcript.said()
    assert "plateforme nationale" not in said
    assert "Nous sommes actuellement fermés" in said


def test_3977_asks_no_postal_code_when_every_centre_is_closed_and_says_closed_first(call):
    # 23:30: the platform and every centre (La Réunion's too, 02:30 there) are closed: a postal code could only
    # lead to a closed centre, so the caller hears the closure, then the callback offer, and no other question.
    transcript = call(LINE_3977, at=at_paris(2026, 11, 24, 23, 30), presses=["2"])
    said = transcript.said()
    assert "code postal" not in said
    assert said.index("Nous sommes actuellement fermés") < said.index("Souhaitez-vous qu'un écoutant vous rappelle")


def test_3977_asks_the_postal_code_while_another_centre_is_open(call):
    # 17:15: the 94 centre has closed (17:00) but the 75 and 13 centres are open: worth asking.
    transcript = call(LINE_3977, at=at_paris(2026, 11, 24, 17, 15), presses=["13001#"])
    assert "tapez votre code postal" in transcript.said()
    assert transcript.dialled == ["+33199000013"]


def test_3977_a_call_whose_forward_fails_just_before_closing_is_told_when_it_closes_not_to_call_back_soon(call):
    # 18:50: the platform does not answer; "call again in a few minutes" would send the caller to a line closed
    # at 19:00. They hear when it closes and reopens, once, then the callback offer.
    transcript = call(LINE_3977, at=at_paris(2026, 11, 24, 18, 50), presses=["2"], default_outcome="no-answer")
    said = transcript.said()
    assert "Tous nos écoutants sont occupés pour le moment. Nous fermons aujourd'hui à 19 heures et rouvrons " \
           "demain à 9 heures." in said
    assert "rappeler dans quelques minutes" not in said and "Nous sommes actuellement fermés" not in said


def test_3977_a_forward_failing_well_before_closing_still_says_to_call_back_in_a_few_minutes(call):
    transcript = call(LINE_3977, at=at_paris(2026, 11, 24, 11, 0), presses=["#", "2"], default_outcome="no-answer")
    assert "Tous nos écoutants sont occupés pour le moment. Merci de rappeler dans quelques minutes." in transcript.said()
