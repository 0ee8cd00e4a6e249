"""The console's catalogues are read once per process, whoever asks first and however many ask at once."""

from __future__ import annotations

import threading

from words import catalogue as module


def test_threads_asking_at_once_share_one_read(monkeypatch):
    reads = []
    read = module._read_catalogue

    def counted(language):
        reads.append(language)
        return read(language)

    monkeypatch.setattr(module, "_READ", {})
    monkeypatch.setattr(module, "_read_catalogue", counted)
    start = threading.Barrier(8)
    found = []

    def ask():
        start.wait()
        found.append(module.catalogue("en"))

    threads = [threading.Thread(target=ask) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert reads == ["en"]
    assert len(found) == 8 and all(words is found[0] for words in found)
    assert module.text("status.holiday", "en") != "status.holiday"  # the words themselves, not their key
