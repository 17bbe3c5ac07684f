"""README's path, literally: a fresh folder, default settings, relative paths, a list, a letter, a reply.

Regression: with no settings file `base_dir` stayed "." and the list store's path relative, and
`Path.as_uri()` refused it (`relative path can't be expressed as a file URI`): every letter of a
fresh install failed with 系统内部错误. Every other test used absolute folders or a letters.toml
(whose folder is taken absolute), so none saw it.
"""

from __future__ import annotations

import csv
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.builders.docx_builder import build_docx
from tests.service_letters import LISTED, ROOT, spec_for

pytestmark = pytest.mark.slow  # real child processes, OCR or a whole install: seconds each

LETTERS = [sys.executable, "-m", "pipeline"]


@pytest.fixture
def fresh_folder(tmp_path: Path) -> Path:
    """What a clone holds that the service reads: the templates, the inbox, the outbox, the project file.
    No letters.toml and no LETTERS_* variable: the defaults, relative to the working folder."""
    folder = tmp_path / "credit-letters"
    folder.mkdir()
    shutil.copytree(ROOT / "letter_templates", folder / "letter_templates")
    shutil.copy(ROOT / "pyproject.toml", folder / "pyproject.toml")
    shutil.copy(ROOT / "holidays.toml", folder / "holidays.toml")
    (folder / "inbox").mkdir()
    (folder / "outbox").mkdir()
    with (folder / "名单.csv").open("w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["姓名", "身份证号码", "名单类别", "认定部门", "认定文书号", "列入日期", "移出日期"])
        writer.writerow(
            [*LISTED, "失信被执行人", "西安市中级人民法院", "（2020）陕01执1号", "2020-01-02", ""]
        )
    return folder


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LETTERS_")}
    env["PYTHONPATH"] = str(ROOT)
    return env


def _letters(folder: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*LETTERS, *args], cwd=folder, env=_env(), capture_output=True, text=True, timeout=300, check=False
    )


def test_a_fresh_install_on_default_settings_replies_through_process_and_watch(fresh_folder: Path) -> None:
    imported = _letters(fresh_folder, "records", "import", "名单.csv", "--list", "失信被执行人")
    assert imported.returncode == 0, imported.stderr
    build_docx(spec_for(61), fresh_folder / "来函.docx")
    done = _letters(fresh_folder, "process", "来函.docx")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "已生成复函" in done.stdout and "系统内部错误" not in done.stdout + done.stderr
    replies = sorted(p.name for p in (fresh_folder / "outbox").iterdir())
    assert [n.rsplit(".", 1)[1] for n in replies] == ["docx", "pdf"]

    watcher = subprocess.Popen(
        [*LETTERS, "watch"], cwd=fresh_folder, env=_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True,
    )  # fmt: skip
    try:
        build_docx(spec_for(62), fresh_folder / "inbox" / "第二封来函.docx")
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline and len(list((fresh_folder / "outbox").iterdir())) < 4:
            assert watcher.poll() is None, watcher.communicate()
            time.sleep(0.5)
    finally:
        watcher.terminate()
        out, err = watcher.communicate(timeout=60)
    assert len(list((fresh_folder / "outbox").iterdir())) == 4, err
    assert "系统内部错误" not in out + err
    status = _letters(fresh_folder, "cases")
    assert status.stdout.count("已复函") == 2, status.stdout


def test_a_new_office_is_told_what_is_missing(cli_folder, capsys) -> None:  # type: ignore[no-untyped-def]
    """Regression: on a fresh install `letters status` and the sign-in page said nothing of the missing
    first account and list; both say what is missing and the command that adds it."""
    from pipeline.cli import main
    from pipeline.web.app import create_app

    assert main(["status"]) == 0
    out = capsys.readouterr().out
    assert "尚无任何账号" in out and "letters users add 用户名 --name 姓名 --role admin" in out
    assert "尚未导入任何名单" in out and "letters records import" in out
    assert "复函联系人：未配置" in out and "contact_name" in out
    page = create_app().test_client().get("/login").get_data(as_text=True)
    assert "尚未建立任何账号" in page and "letters users add" in page
