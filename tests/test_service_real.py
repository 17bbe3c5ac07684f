"""The service with the real processor: .docx and PDF letters in, verified replies out."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from pipeline.inbox.run import Service
from pipeline.settings import load_settings
from pipeline.storage.models import Case
from tests.service_helpers import wait_for
from tests.service_letters import ROOT, import_records, spec_for, write_bad, write_letter


@pytest.fixture
def service(tmp_path: Path):
    settings = load_settings(
        env={},
        config=tmp_path / "none.toml",
        base_dir=tmp_path,
        stable_seconds=0.2,
        incomplete_wait_seconds=1.0,  # the bad letter is written whole: fail it soon
        templates=ROOT / "letter_templates",
    )
    svc = Service(settings)
    import_records(svc.db, settings, tmp_path)
    svc.start()
    yield svc
    svc.stop()


def cases(svc: Service) -> dict[str, Case]:
    with svc.db.sessions() as s:
        return {c.original_name: c for c in s.execute(select(Case)).scalars()}


@pytest.mark.slow
def test_real_letters_get_replies_reviews_and_failures(service: Service) -> None:
    inbox = service.cases.folders.inbox
    write_letter(inbox / "公务员.docx", spec_for(1, kind="civil_servant"))
    write_letter(inbox / "事业单位.pdf", spec_for(2))
    write_letter(inbox / "命中.docx", spec_for(3, kind="civil_servant", hit=True))
    write_bad(inbox / "坏.docx", 1)
    wait_for(
        lambda: (
            len(c := cases(service)) == 4
            and all(x.state not in ("received", "processing") for x in c.values())
        ),
        timeout=60,
        what="four letters final",
    )
    got = cases(service)
    assert got["公务员.docx"].state == "replied"
    assert got["事业单位.pdf"].state == "replied"
    assert got["命中.docx"].state == "waiting_review"
    assert any("二次复审" in r.text for r in got["命中.docx"].review_reasons())
    assert got["坏.docx"].state == "failed"
    outbox = sorted(p.name for p in service.cases.folders.outbox.iterdir())
    assert len(outbox) == 4  # .docx and .pdf of each of the two replies; the result .json stays in data/
    assert len(list((service.settings.path(service.settings.data_dir) / "results").glob("*.json"))) == 2
    for case in (got["公务员.docx"], got["事业单位.pdf"]):
        outputs = case.outputs or {}
        assert case.reply_doc_number and outputs["docx"] in outbox and outputs["pdf"] in outbox
    assert (service.cases.folders.failed / "坏.docx.原因.txt").exists()
