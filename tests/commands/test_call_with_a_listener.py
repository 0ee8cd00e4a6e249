"""`helpline call --listener --transfer`: the README's warm transfer, played through the real webhooks in a
throwaway copy of the engine — and nothing of it kept in the instance's database."""

from __future__ import annotations

from sqlalchemy import func, select

from app import cli
from store.extension import database
from store.models import Call, Listener


def invoke(app, *args):
    return app.test_cli_runner().invoke(cli, list(args))


def lines_marked(output: str, mark: str) -> list[str]:
    return [line.split(None, 1)[1] for line in output.splitlines() if line.strip().split(" ", 1)[0] == mark]


def test_the_readme_warm_transfer_runs_and_each_party_hears_their_part(app):
    result = invoke(app, "call", "ecoute-violences-conjugales", "--at", "2026-11-24T10:00",
                    "--transfer", "service:be-107")
    assert result.exit_code == 0, result.output
    out = result.output
    assert "Un écoutant prend votre appel." in out
    listener = lines_marked(out, "listener")
    assert "Transfert. Pour le 107, Télé-Accueil, tapez 1. Pour le service d'interprétariat, tapez 2. Pour revenir " \
           "à l'appelant, tapez 0." in listener
    assert "Transfert effectué : l'appelant est en relation avec le 107, Télé-Accueil." in listener
    assert [line.strip() for line in out.splitlines() if line.startswith("  3rd pty")] == [
        "3rd pty   Appel transféré par Écoute Violences Conjugales. Un écoutant va vous présenter la situation avant de "
        "vous passer la personne."]
    assert "dials     +3225550107 (caller ID +3225550300, ring 30 s): completed" in out
    assert out.index("on hold, hears:") < out.index("off hold: back in the conversation")
    assert "transfer_completed   left" in out
    # The fictitious listener and the call lived in the throwaway engine only.
    with app.app_context(), database.session() as session:
        assert session.scalar(select(func.count()).select_from(Listener)) == 0
        assert session.scalar(select(func.count()).select_from(Call)) == 0


def test_a_busy_third_party_gives_the_caller_back_and_the_listener_is_told(app):
    result = invoke(app, "call", "ecoute-violences-conjugales", "--at", "2026-11-24T10:00",
                    "--transfer", "service:be-107", "--outcome", "+3225550107=busy")
    assert result.exit_code == 0, result.output
    assert "Ligne occupée pour le 107, Télé-Accueil. L'appelant est de nouveau avec vous." in result.output
    assert "transfer_returned    busy" in result.output
    assert "3rd pty" not in result.output


def test_a_target_the_call_does_not_have_is_said_plainly(app):
    result = invoke(app, "call", "ecoute-violences-conjugales", "--at", "2026-11-24T10:00",
                    "--transfer", "service:fr-3919")
    assert "service:fr-3919 is not a target of this call (service:be-107, number:+3225550399)" in result.output


def test_a_transfer_key_that_is_not_the_calls_target_is_said_and_fails_the_command(app):
    result = invoke(app, "call", "ecoute-violences-conjugales", "--at", "2026-11-24T10:00", "--transfer", "service:fr-119")
    assert result.exit_code == 1
    assert "service:fr-119 is not a target of this call (service:be-107, number:+3225550399)" in result.output


def test_the_readme_cold_transfer_puts_the_caller_through_and_frees_the_listener(app):
    result = invoke(app, "call", "ecoute-violences-conjugales", "--at", "2026-11-24T10:00",
                    "--transfer", "service:be-107", "--cold")
    assert result.exit_code == 0, result.output
    out = result.output
    listener = lines_marked(out, "listener")
    assert "Nous appelons le 107, Télé-Accueil. L'appelant sera mis en relation dès la réponse, et vous quitterez " \
           "alors l'appel. Pour annuler, tapez étoile, 4, puis 3." in listener
    assert "Fin de l'appel." in listener  # moved to wrap-up once the 107 answered
    assert "Je vous mets en relation avec le 107, Télé-Accueil. Restez en ligne." in lines_marked(out, "says")
    assert [line.strip() for line in out.splitlines() if line.startswith("  3rd pty")] == [
        "3rd pty   Appel transféré par Écoute Violences Conjugales. La personne est en ligne avec vous."]
    assert "transfer_started     cold service service:be-107" in out and "transfer_completed   cold" in out


def test_cold_without_a_transfer_is_refused(app):
    result = invoke(app, "call", "ecoute-violences-conjugales", "--at", "2026-11-24T10:00", "--cold")
    assert result.exit_code == 2 and "--cold goes with --transfer TARGET" in result.output
