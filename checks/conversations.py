"""The conversation situations of issue 14, played through world mode: who answers, what each presses and when.

Every situation is a call to France Victimes (116 006) on a Tuesday afternoon (open, a listener free) that the
listener takes; what follows is the listener's keypad (``*`` then the spoken menu), a listener's phone that drops,
a third party who answers or not. The keys are given by the menu's words, as a listener would press them, so a
menu that reorders its options is still answered sensibly. What must be heard is written here from the issue,
not from the engine's prompts' keys."""

from __future__ import annotations

from dataclasses import dataclass, field

from checks.call_record import Outcome
from checks.world_mode import Party

LINE = "france-victimes"
AT = (2026, 11, 24, 14, 0)  # a Tuesday, 14:00 in Paris: open
LISTENER_A, LISTENER_B = "+33612000001", "+33612000011"
SUPERVISOR, SECOND_SUPERVISOR = "+33612000091", "+33612000092"
LISTENER_DESK = 2  # the desk account of listener A (0 and 1: two coordinators of the line)
TAKE = r"prendre l'appel|take the call"
CLASSIFY = r"classer|classify"
MENU = r"L'appelant est en attente avec de la musique|The caller is on hold with music"
TRANSFER_MENU = r"^Transfert\.|^Transfer\."
TRANSFER_PROGRESS = r"^Transfert vers|^Transfer to"
TRANSFER_MODE = r"parler d'abord|talk to them first"  # after the target: 1 warm (talk first), 2 cold
# The third party of the transfers: the line's interpreting service (a number of its own, outside the directory).
INTERPRETER = "option:interprétariat|interpreting"
BINOME_WHISPER = r"Binôme pour un appel|Second listener for a call"
TRANSFER_WHISPER = r"Appel transféré par|Call transferred by|transferred by"
CALLBACK_WHISPER = r"Tapez 1 pour appeler la personne|[Pp]ress 1 to call"
# A callback asked from the queue of Écoute Violences Conjugales (leave key 0): a Belgian caller, a Belgian listener.
CALLBACK_LINE, CALLBACK_AT = "ecoute-violences-conjugales", (2026, 11, 24, 10, 0)  # a Tuesday, open
LISTENER_C, BELGIAN_CALLER = "+32470000021", "+32470123456"
LISTENER_D = "+33612000031"  # a listener of Un premier pas, the line a transfer to "la ligne Un premier pas" reaches
OTHER_LINE = "option:Un premier pas"
CALLBACK_ANSWERS = {r"écoutant vous rappelle|listener to call you back": ["1"],
                    r"rappellerions au|call you back on": ["1"], r"Quand pouvons-nous|When can we": ["1"],
                    r"laisser un message|leave a message": ["2"]}


def listener(name: str = "listener", ring: float = 15.0, steps=(), **answers: list[str]) -> Party:
    """A listener who takes the call (1), classifies it (1) afterwards, and answers ``answers`` (pattern -> keys,
    in the order asked) in between; ``steps``: (seconds after joining the conference, key or "hangup")."""
    keyed = {TAKE: ["1"] * 4}
    keyed.update({pattern: list(keys) for pattern, keys in answers.items()})
    keyed[CLASSIFY] = ["1"] * 4
    return Party(name, ring=ring, outcome=Outcome(answers=keyed, in_conference=list(steps)))


def transfer_keys(mode: str, target: str = INTERPRETER) -> dict[str, list[str]]:
    """``*`` then 4 (transfer), the target (the interpreting service), then 1 (warm) or 2 (cold)."""
    return {MENU: ["4"], TRANSFER_MENU: [target], TRANSFER_MODE: [mode]}


@dataclass
class Situation:
    label: str
    phonebook: dict[str, Party]
    hangup_at: float  # when the caller hangs up, seconds into the call
    default_party: Party = field(default_factory=lambda: Party("third party", ring=8.0))
    # (seconds into the call, helpline command args): what a coordinator does meanwhile (a listener logs in…)
    commands: list[tuple[float, tuple[str, ...]]] = field(default_factory=list)
    available: tuple[str, ...] = (LISTENER_A,)
    expect_said: tuple[str, ...] = ()  # what the caller must hear said once a listener took the call (regexes)
    never_said: tuple[str, ...] = ()  # what the caller must not be told then (a promise the situation breaks)
    expect_parties: tuple[str, ...] = ("listener",)  # who the caller must hear at some point
    listener_expect_said: tuple[str, ...] = ()  # what the (first) listener must hear
    listener_ends_call: bool = False  # the listener ends the call: the engine may say goodbye and hang up
    rest_down: tuple[float, float] | None = None  # Twilio's REST API answers 503 between these instants
    unheard_by_caller: frozenset = frozenset({"supervisor"})  # who the caller must never hear
    listener_back_between: tuple[float, float] | None = None  # the caller hears the listener again in this span
    # (seconds into the call, who, action, argument) at the console's desk: who is a DESK_ACCOUNTS index (two
    # coordinators, then listener A); action listen|whisper|join (argument: the phone) or hold|resume|transfer-cold…
    desk: list[tuple[float, int, str, str]] = field(default_factory=list)
    caller_may_hear_supervisor_from: float | None = None  # after a "join"; before it, never
    listener_expect_parties: tuple[str, ...] = ()  # who the (first) listener must hear at some point
    needs: str = ""  # the branch of issue 14 the situation needs in the engine ("transfer"), "" for the conference
    queue_settings: dict = field(default_factory=dict)  # added to the line file's queue: section for this situation
    # party name -> what they must hear said (regexes), and whom they must hear in the conference
    party_expect_said: dict[str, tuple[str, ...]] = field(default_factory=dict)
    party_expect_parties: dict[str, tuple[str, ...]] = field(default_factory=dict)
    bridged_before: str = ""  # a party whose phone is answered only after the caller already hears the listener
    # A callback: the call asks for one and ends; ``phonebook`` answers the number called back, whose leg is then
    # checked as the caller's (never silence over 5 s, hung up on only by themselves).
    line: str = LINE
    at: tuple = AT
    caller: str = ""  # the caller's number ("" for a French mobile of the emulator's own)
    caller_answers: dict[str, list[str]] = field(default_factory=dict)
    caller_queue_presses: tuple[str, ...] = ()
    paused: tuple[str, ...] = ()
    called_back: bool = False
    must_ring: tuple[str, ...] = ()  # numbers the engine must have called (answered or not)
    free_after: tuple[str, ...] = ()  # listeners (names) available again once the call is over, wrap-up aside
    party_never_said: dict[str, tuple[str, ...]] = field(default_factory=dict)  # party name -> never told (regexes)
    party_told: dict[str, tuple[str, ...]] = field(default_factory=dict)  # party name -> told at some point (regexes)
    ends_with_goodbye: bool = False  # the engine ends the caller's call after a goodbye (a callback request saved)
    # An engine fault this situation shows (checks/README.md, Findings): the suite expects it to sound wrong until the
    # engine is fixed, then asks for this mark to be removed.
    finding: str = ""


SITUATIONS = [
    Situation("a bridged call in a conference: they talk, the caller hangs up",
              {LISTENER_A: listener()}, hangup_at=150.0),
    Situation("the listener holds the caller from the keypad (* 1), then takes them back (* 1)",
              {LISTENER_A: listener(steps=[(30.0, "*"), (40.0, "*")], **{MENU: ["1", "1"]})}, hangup_at=220.0,
              expect_said=(r"écoutant revient|listener will be back",)),
    Situation("the listener's phone drops mid-call: the caller is offered to the next listener",
              {LISTENER_A: listener(steps=[(30.0, "hangup")]), LISTENER_B: listener("second listener", ring=10.0)},
              hangup_at=260.0, commands=[(60.0, ("listeners", "status", "Emulated listener B", "available"))],
              expect_said=(r"coupée|was cut",), expect_parties=("listener", "second listener")),
    Situation("a warm transfer the third party answers: the listener leaves the caller with them (* 4 1, * 4 1)",
              {LISTENER_A: listener(steps=[(30.0, "*"), (25.0, "*")],
                                    **{**transfer_keys("1"), MENU: ["4", "4"], TRANSFER_PROGRESS: ["1"]})},
              hangup_at=260.0, expect_parties=("listener", "third party"),
              listener_expect_said=(r"Transfert effectué|Transfer done|transferred",), needs="transfer"),
    Situation("a warm transfer nobody answers: the caller is back with the listener, told nothing alarming",
              {LISTENER_A: listener(steps=[(30.0, "*")], **transfer_keys("1"))},
              hangup_at=260.0, default_party=Party("third party", answer="no-answer"),
              listener_expect_said=(r"Pas de réponse pour|No answer from|n'a pas abouti",), needs="transfer"),
    Situation("the listener's phone drops while talking to the third party: the caller is put through to them",
              {LISTENER_A: listener(steps=[(30.0, "*"), (15.0, "hangup")], **transfer_keys("1"))},
              hangup_at=260.0, expect_parties=("listener", "third party"), needs="transfer"),
    # Freed: every leg ends (a leg left in a conference would be reported: "stayed 4 hours in a conference"), and
    # the listener is told the call is over before the wrap-up.
    Situation("the caller hangs up during a warm transfer: the listener and the third party are freed",
              {LISTENER_A: listener(steps=[(30.0, "*")], **transfer_keys("1"))},
              hangup_at=150.0, listener_expect_said=(r"raccroché|hung up|Fin de l'appel|call has ended",),
              needs="transfer"),
    Situation("a binôme called in from the keypad (* 2) joins muted: the caller hears only the first listener",
              {LISTENER_A: listener(steps=[(30.0, "*")], **{MENU: ["2"]}),
               LISTENER_B: listener("second listener", ring=10.0)},
              hangup_at=200.0, commands=[(60.0, ("listeners", "status", "Emulated listener B", "available"))],
              unheard_by_caller=frozenset({"supervisor", "second listener"}),
              party_expect_said={"second listener": (BINOME_WHISPER,)}),
    Situation("Twilio's REST API fails when the listener takes the caller back: the hold's time limit does it",
              {LISTENER_A: listener(steps=[(30.0, "*"), (20.0, "*")], **{MENU: ["1", "1"]})},
              hangup_at=340.0, rest_down=(100.0, 200.0), listener_back_between=(200.0, 290.0),
              expect_said=(r"écoutant revient|listener will be back",)),
    Situation("a supervisor whispers from the desk: heard by the listener only",
              {LISTENER_A: listener(), SUPERVISOR: Party("supervisor", ring=6.0)}, hangup_at=200.0,
              desk=[(70.0, 0, "whisper", SUPERVISOR)], listener_expect_parties=("supervisor",), needs="desk"),
    Situation("a supervisor listens, then joins: the caller hears them only once they join",
              {LISTENER_A: listener(), SUPERVISOR: Party("supervisor", ring=6.0)}, hangup_at=220.0,
              desk=[(70.0, 0, "listen", SUPERVISOR), (130.0, 0, "join", SUPERVISOR)],
              caller_may_hear_supervisor_from=130.0, expect_parties=("listener", "supervisor"), needs="desk"),
    Situation("two supervisors press join at the same instant: one is called, the other told someone is on it",
              {LISTENER_A: listener(), SUPERVISOR: Party("supervisor", ring=6.0),
               SECOND_SUPERVISOR: Party("second supervisor", ring=6.0)}, hangup_at=200.0,
              desk=[(70.0, 0, "join", SUPERVISOR), (70.0, 1, "join", SECOND_SUPERVISOR)],
              caller_may_hear_supervisor_from=70.0, needs="desk"),
    Situation("the listener holds and resumes from the desk: the caller hears the hold music, then them again",
              {LISTENER_A: listener()}, hangup_at=220.0, desk=[(70.0, LISTENER_DESK, "hold", ""),
                                                               (110.0, LISTENER_DESK, "resume", "")],
              expect_said=(r"écoutant revient|listener will be back",), listener_back_between=(110.0, 125.0),
              needs="desk"),
    Situation("a cold transfer from the listener's desk: the caller hears a sentence, then the third party",
              {LISTENER_A: listener()}, hangup_at=240.0, desk=[(70.0, LISTENER_DESK, "transfer-cold", "interpr")],
              expect_said=(r"Je vous mets en relation avec|connecting you to",),
              never_said=(r"écoutant revient|listener will be back",),  # cold: the listener is not coming back
              expect_parties=("listener", "third party"),
              needs="desk"),
    # The caller hangs up in the seconds the listener hears "Retour à l'appel …" before going back into the conference.
    Situation("the caller hangs up while the listener hears « Retour à l'appel » (* 1): the listener is freed, not "
              "left alone in a conference",
              {LISTENER_A: listener(steps=[(30.0, "*")], **{MENU: ["1"]})}, hangup_at=100.0,
              listener_expect_said=(r"raccroché|hung up|Fin de l'appel|call has ended",)),
    Situation("the listener ends the call from the keypad (* 9): the caller is told goodbye, then hangs up",
              {LISTENER_A: listener(steps=[(40.0, "*")], **{MENU: ["9"]})}, hangup_at=400.0,
              listener_ends_call=True, expect_said=(r"Au revoir|Goodbye",)),
    # Issue 14 §2: a line whose every call is offered to a pair (queue.offer_to_pair).
    Situation("a call offered to a pair: bridged when the first answers, the second whispered then muted, "
              "then given the floor",
              {LISTENER_A: listener(ring=5.0), LISTENER_B: listener("second listener", ring=14.0)},
              hangup_at=240.0, available=(LISTENER_A, LISTENER_B), queue_settings={"offer_to_pair": True},
              desk=[(120.0, LISTENER_DESK, "floor", "")], caller_may_hear_supervisor_from=120.0,
              unheard_by_caller=frozenset({"supervisor", "second listener"}), never_said=(BINOME_WHISPER,),
              expect_parties=("listener", "second listener"), bridged_before="second listener",
              party_expect_said={"second listener": (BINOME_WHISPER,)},
              party_expect_parties={"second listener": ("caller", "listener")}, needs="pair"),
    Situation("a call offered to a pair whose second never answers: nothing changes for the caller",
              {LISTENER_A: listener(ring=5.0), LISTENER_B: Party("second listener", answer="no-answer")},
              hangup_at=200.0, available=(LISTENER_A, LISTENER_B), queue_settings={"offer_to_pair": True},
              unheard_by_caller=frozenset({"supervisor", "second listener"}), never_said=(BINOME_WHISPER,),
              must_ring=(LISTENER_B,), free_after=("Emulated listener B",), needs="pair"),
    Situation("a pair whose first listener's phone drops: the caller is told and waits again, the muted binôme leaves",
              {LISTENER_A: listener(ring=5.0, steps=[(60.0, "hangup")]),
               LISTENER_B: listener("second listener", ring=14.0)},
              hangup_at=240.0, available=(LISTENER_A, LISTENER_B), queue_settings={"offer_to_pair": True},
              expect_said=(r"coupée|was cut",), unheard_by_caller=frozenset({"supervisor", "second listener"}),
              party_expect_said={"second listener": (BINOME_WHISPER,)}, needs="pair"),
    # Cold from the keypad: * 4, the target, then 2 (put the caller straight through).
    Situation("a cold transfer from the keypad (* 4, the target, 2): the caller hears the sentence, then the "
              "third party, who was told of the transfer",
              {LISTENER_A: listener(steps=[(30.0, "*")], **transfer_keys("2"))},
              hangup_at=260.0, expect_said=(r"Je vous mets en relation avec|putting you through to",),
              expect_parties=("listener", "third party"),
              party_expect_said={"third party": (TRANSFER_WHISPER,)}, party_expect_parties={"third party": ("caller",)},
              needs="transfer"),
    Situation("a cold transfer from the keypad nobody answers: the caller is back with the listener",
              {LISTENER_A: listener(steps=[(30.0, "*")], **transfer_keys("2"))},
              hangup_at=260.0, default_party=Party("third party", answer="no-answer"),
              listener_expect_said=(r"Pas de réponse pour|No answer from",), listener_back_between=(100.0, 200.0),
              needs="transfer"),
    # A safe callback bridged through a conference: asked from the queue (leave key 0), a listener free later.
    Situation("a callback answered: the person and the listener talk in a conference; * 1 holds the person "
              "(music), * 1 takes them back",
              {LISTENER_C: listener(steps=[(40.0, "*"), (40.0, "*")], **{CALLBACK_WHISPER: ["1"], MENU: ["1", "1"]}),
               BELGIAN_CALLER: Party("caller", ring=8.0, outcome=Outcome(in_conference=[(180.0, "hangup")]))},
              hangup_at=900.0, line=CALLBACK_LINE, at=CALLBACK_AT, caller=BELGIAN_CALLER, available=(),
              paused=(LISTENER_C,), caller_answers=CALLBACK_ANSWERS, caller_queue_presses=("0",),
              commands=[(120.0, ("listeners", "status", "Emulated listener C", "available"))],
              expect_said=(r"écoutant revient|listener will be back",), listener_expect_parties=("caller",),
              listener_back_between=(100.0, 150.0), called_back=True, needs="callback"),
    Situation("a callback answered by a machine: hung up on, never a message, the listener told",
              {LISTENER_C: listener(**{CALLBACK_WHISPER: ["1"]}),
               BELGIAN_CALLER: Party("answering machine", ring=8.0, answered_by="machine_start")},
              hangup_at=900.0, line=CALLBACK_LINE, at=CALLBACK_AT, caller=BELGIAN_CALLER, available=(),
              paused=(LISTENER_C,), caller_answers=CALLBACK_ANSWERS, caller_queue_presses=("0",),
              commands=[(120.0, ("listeners", "status", "Emulated listener C", "available"))],
              ends_with_goodbye=True, expect_parties=(), must_ring=(BELGIAN_CALLER,),
              party_never_said={"answering machine": (r".",)},
              listener_expect_said=(r"n'a pas pu être jointe|could not be reached",), needs="callback"),
    # A transfer to another line of this engine reaches one of its listeners, never its public number's greeting.
    Situation("a warm transfer to another line (* 4, Un premier pas, 1; * 4 1): its free listener is called directly "
              "and the caller is left with them",
              {LISTENER_A: listener(steps=[(30.0, "*"), (25.0, "*")],
                                    **{**transfer_keys("1", OTHER_LINE), MENU: ["4", "4"], TRANSFER_PROGRESS: ["1"]}),
               LISTENER_D: listener("other line's listener", ring=8.0)},
              hangup_at=260.0, available=(LISTENER_A, LISTENER_D), expect_parties=("listener", "other line's listener"),
              listener_expect_said=(r"Transfert effectué|Transfer done",),
              party_expect_said={"other line's listener": (TRANSFER_WHISPER,)},
              party_expect_parties={"other line's listener": ("caller",)},
              party_never_said={"other line's listener": (r"^Bonjour|^Hello",)},
              free_after=("Emulated listener D",), needs="transfer"),
    Situation("a transfer to another line with nobody free there: nothing is dialled, the caller is back with the "
              "listener",
              {LISTENER_A: listener(steps=[(30.0, "*")], **transfer_keys("1", OTHER_LINE))},
              hangup_at=220.0, listener_expect_said=(r"Personne n'est disponible|Nobody is available",),
              listener_back_between=(100.0, 170.0), needs="transfer"),
    # The caller hangs up in the seconds the listener hears "Nous appelons …" before going back into the conference.
    Situation("the caller hangs up while the listener hears that the third party is being called: the listener is "
              "freed, not left alone in a conference",
              {LISTENER_A: listener(steps=[(30.0, "*")], **transfer_keys("1"))},
              hangup_at=133.0, listener_expect_said=(r"raccroché|hung up|Fin de l'appel|call has ended",),
              needs="transfer"),
    # A parked third party's own time limit: the listener takes the caller back mid-consultation (* 1).
    Situation("the listener takes the caller back during a warm transfer (* 1): the third party waits parked, is told "
              "so, and is let go past their own limit",
              {LISTENER_A: listener(steps=[(30.0, "*"), (20.0, "*")], **{**transfer_keys("1"), MENU: ["4", "1"]})},
              hangup_at=420.0, listener_back_between=(150.0, 200.0),
              listener_expect_said=(r"Fin de l'attente pour|The wait is over for",),
              party_told={"third party": (r"Merci de patienter|Thank you for waiting",
                                          r"n'a pas pu revenir vers vous|could not come back to you")},
              unheard_by_caller=frozenset({"supervisor", "third party"}), needs="transfer"),
]
