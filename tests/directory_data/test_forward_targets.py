"""A forward dials only the directory's numbers or those an admin approved for the line: in files and console."""

from __future__ import annotations

from store.extension import database
from tests.support.directory_files import copy_directory, edit, problems_of
from tests.support.console import CHAIN, make_account, revision, save, sign_in, text

UPP_FILE = "lines/un-premier-pas.yaml"
MOBILE = "+33612345678"


def test_the_loader_refuses_a_forward_to_a_number_nobody_approved(tmp_path):
    root = copy_directory(tmp_path)
    edit(root, UPP_FILE, 'forward: "+33199009495"', f'forward: "{MOBILE}"')
    assert (f"directory_data/lines/un-premier-pas.yaml: overflow[1].forward: {MOBILE} is neither a number of the "
            "directory nor one approved for this line (forward_numbers)") in problems_of(root)


def test_the_loader_accepts_it_once_an_admin_approved_it_for_the_line(tmp_path):
    from directory_data.loader import read_directory

    root = copy_directory(tmp_path)
    edit(root, UPP_FILE, 'forward: "+33199009495"', f'forward: "{MOBILE}"')
    edit(root, UPP_FILE, 'forward_numbers: ["+33199009495"]', f'forward_numbers: ["+33199009495", "{MOBILE}"]')
    assert read_directory(root).lines


def test_the_chain_editor_refuses_a_mobile_number_in_french_and_changes_nothing(app, client):
    make_account(app, "coordination@unpremierpas.example.org", "un premier pas, toujours", "coordinator",
                 lines=["un-premier-pas"])
    sign_in(client, "coordination@unpremierpas.example.org", "un premier pas, toujours")
    before = revision(app)
    refused = save(client, **{"rule-1-target": "06 12 34 56 78"})
    assert refused.status_code == 400
    assert ("Le +33612345678 n'est ni un numéro de l'annuaire ni un numéro approuvé par un administrateur pour "
            "cette ligne : demandez à un administrateur de l'ajouter.") in text(refused)
    assert revision(app) == before
    # The approved listening-room number and the directory's own numbers still save.
    assert save(client, **{"rule-1-target": "+33 1 99 00 94 95"}).status_code == 302
