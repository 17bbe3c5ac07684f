"""Every sample letter that waits for review, finished in the web console by the right people.

    .venv/bin/python scripts/finish_samples_in_browser.py ../shared/samples [--screens DIR]

Runs the main job as a newcomer would (`letters watch --web` on a fresh
project folder with the samples' records.csv imported and two accounts: 王芳,
经办, and 周复核, 复核), drops every sample letter into the inbox, and waits
until each has a final state. Then, for each letter waiting for review, a
real browser (Debian's chromium) does what a clerk does with the original in
front of her — `truth.json` stands for that original: she corrects what was
misread, adds or deletes roster rows, answers a wrong ID 号码有误，未予查询,
decides a possible match as clear (or listed, with --possible-as listed) and a
name mismatch as listed, confirms a
count, compares a scan with its original item by item (Enter on each 与原件一致,
then Enter saves), looks at the reply preview and releases it. A hit on a
civil-servant query is refused to her and released by the reviewer, from the
待二次复审 tab. Prints one row per letter (what waited, what was done, by whom,
the keystrokes and clicks it took, the final state and verdicts), the median
and the worst count, and exits 1 unless every waiting letter ends replied with
the verdicts the truth expects. Screenshots go to --screens.

The count is of what a person does: a click is a click (a choice from a list:
two), typing a value is one click into the field and a key per character, a
key press is a key. `--flow before` skips the item-by-item comparison, for a
run on a checkout from before it (the console had none).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from sample_outcomes import FINAL, ROOT, letters, outcomes, project

PASSWORD = "sample-password-2026"
CLERK, REVIEWER = ("wangfang", "王芳", "clerk"), ("zhou", "周复核", "reviewer")
DECIDE = {"possible": "clear", "name_mismatch": "listed"}  # what the clerk settles each as, having checked


@dataclass
class Effort:
    """What a person did with the mouse and the keyboard."""

    clicks: int = 0
    keys: int = 0

    def click(self, n: int = 1) -> None:
        self.clicks += n

    def typed(self, text: str) -> None:
        self.clicks += 1  # into the field
        self.keys += len(text)


EFFORT = Effort()  # the running count; each letter's share is the difference


@dataclass
class Done:
    sample: str
    waited: str
    effort: tuple[int, int] = (0, 0)  # (clicks, keys) this letter took
    actions: list[str] = field(default_factory=list)
    released_by: str = ""
    state: str = ""
    verdicts: list[str] = field(default_factory=list)
    expected: list[str] = field(default_factory=list)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def add_user(folder: Path, login: str, name: str, role: str, admin: str | None) -> None:
    """`letters users add`, the administrator's password first when one acts (stdin, one per line)."""
    args = ["users", "add", login, "--name", name, "--role", role, "--password-stdin"]
    if admin is not None:
        args += ["--admin", admin]
    done = letters(ROOT, folder, *args, input=f"{PASSWORD}\n" * (2 if admin else 1))
    if done.returncode:
        raise SystemExit(f"users add {login}: {done.stderr}")


def expected_verdicts(truth: dict) -> list[str]:
    """What the reply must say for each person, after the clerk's decisions."""
    out = []
    for i, _ in enumerate(truth["people"]):
        if i in truth.get("invalid_ids", []):
            out.append("not_checked")
        elif i in truth.get("expected_hits", []) and i not in truth.get("expected_name_mismatch", []):
            out.append("listed")
        elif i in truth.get("expected_name_mismatch", []):
            out.append(DECIDE["name_mismatch"])
        elif i in truth.get("expected_possible", []):
            out.append(DECIDE["possible"])
        else:
            out.append("clear")
    return out


def sign_in(page, url: str, login: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{url}/login")
    page.fill("input[name=login]", login)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")


def correct(page, truth: dict, done: Done) -> None:  # type: ignore[no-untyped-def]
    """Compare every value with the original and fix what differs, in one draft, then submit it."""
    changed = False
    for key in ("unit", "doc_number", "date", "addressee"):
        want = truth.get(key) or ""
        if page.input_value(f"form.correct input[name={key}]") != want:
            page.fill(f"form.correct input[name={key}]", want)
            EFFORT.typed(want)
            done.actions.append(f"更正{key}")
            changed = True
    if page.input_value("form.correct select[name=kind]") != truth["kind"]:
        page.select_option("form.correct select[name=kind]", truth["kind"])
        EFFORT.click(2)
        done.actions.append("更正查询类别")
        changed = True
    people = truth["people"]
    rows = page.locator("form.correct table.roster tbody:not(.added) tr[data-seq]")
    for i in range(rows.count()):
        row = rows.nth(i)
        seq = row.get_attribute("data-seq")
        if i >= len(people):
            page.once("dialog", lambda d: d.accept())
            row.locator("button.delete-row").click()
            EFFORT.click(2)  # the button, then OK
            done.actions.append(f"删除第{seq}行")
            changed = True
            continue
        for role, want in (("name", people[i]["name"]), ("id_number", people[i]["id_number"])):
            box = row.locator(f"input[name='{seq}.{role}']")
            if box.input_value() != want:
                box.fill(want)
                EFFORT.typed(want)
                done.actions.append(f"更正第{seq}人{'姓名' if role == 'name' else '身份证号码'}")
                changed = True
    for person in people[rows.count() :]:
        page.click("button.add-row")
        page.locator("tbody.added tr").last.locator("input[name='add.name']").fill(person["name"])
        page.locator("tbody.added tr").last.locator("input[name='add.id_number']").fill(person["id_number"])
        EFFORT.click()
        EFFORT.typed(person["name"])
        EFFORT.typed(person["id_number"])
        done.actions.append("增加一行")
        changed = True
    if changed:
        page.click("form.correct button.submit")
        EFFORT.click()


def settle(page, truth: dict, done: Done) -> None:  # type: ignore[no-untyped-def]
    """Answer wrong IDs 未予查询, decide possible matches, confirm counts; one submit each form."""
    changed = False
    for i in truth.get("invalid_ids", []):
        box = page.locator(f"input[name='{i + 1}.result'][value=not_checked]")
        if box.count():
            box.check()
            EFFORT.click()
            done.actions.append(f"第{i + 1}人号码有误，未予查询")
            changed = True
    for kind, indices in (("possible", truth.get("expected_possible", [])),
                          ("name_mismatch", truth.get("expected_name_mismatch", []))):  # fmt: skip
        for i in indices:
            box = page.locator(f"select[name='{i + 1}.result']")
            if box.count():
                box.select_option(DECIDE[kind])
                EFFORT.click(2)
                done.actions.append(f"第{i + 1}人核实为{'不属于' if DECIDE[kind] == 'clear' else '属于'}")
                changed = True
    if changed:
        page.click("form.correct button.submit")
        EFFORT.click()
    boxes = page.locator("form.confirm input[name=code]")
    if boxes.count():
        for j in range(boxes.count()):
            boxes.nth(j).check()
            EFFORT.click()
            done.actions.append(f"确认{boxes.nth(j).get_attribute('value')}")
        page.click("form.confirm button[type=submit]")
        EFFORT.click()


def compare(page, done: Done) -> None:  # type: ignore[no-untyped-def]
    """A scan's items, each compared with the original: Enter ticks one and moves on (the page opens
    with the first focused), and Enter on 保存 sends them."""
    ticks = page.locator("form.correct input[name=compared]").count()
    if not ticks:
        return
    for _ in range(ticks + 5):
        if page.evaluate("document.activeElement.className") == "submit":
            break
        page.keyboard.press("Enter")
        EFFORT.keys += 1
    with page.expect_navigation():
        page.keyboard.press("Enter")
    EFFORT.keys += 1
    done.actions.append(f"逐项核对{ticks}项")


def release(page, url: str, case_id: int, shots: Path | None, name: str) -> str:  # type: ignore[no-untyped-def]
    """Preview the reply that will go out and send it; the flash says what happened."""
    if not page.url.endswith(f"/cases/{case_id}"):
        page.goto(f"{url}/cases/{case_id}")
    if page.locator("p.submitted").count():  # a hit: submitted for the reviewer to send
        return page.inner_text("p.submitted")
    if page.locator("p.release a").count() == 0:
        return "（无法发出：" + page.inner_text("section.reasons") + "）"
    page.click("p.release a")
    EFFORT.click()
    page.wait_for_load_state("load")
    if shots:
        page.screenshot(path=str(shots / f"{name}-preview.png"), full_page=True)
    if page.locator("form.approve").count() == 0:  # the preview says why this person may not send it
        return page.inner_text("p.flash")
    page.click("form.approve button[type=submit]")
    EFFORT.click()
    return page.inner_text("p.flash")


def run(samples: Path, shots: Path | None, flow: str = "after") -> int:
    from playwright.sync_api import sync_playwright

    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        raise SystemExit("chromium is not installed (apt-get install chromium)")
    found = sorted(samples.glob("*/s*/letter.*"))
    with tempfile.TemporaryDirectory(prefix="finish-samples-") as tmp:
        folder = Path(tmp) / "office"
        project(ROOT, folder, samples / "records.csv")
        add_user(folder, "admin", "管理员甲", "admin", None)
        for login, name, role in (CLERK, REVIEWER):
            add_user(folder, login, name, role, "admin")
        port = free_port()
        env = {
            k: v for k, v in {**os.environ, "PYTHONPATH": str(ROOT)}.items() if not k.startswith("LETTERS_")
        }
        env["LETTERS_WEB_ADDRESS"] = f"127.0.0.1:{port}"
        proc = subprocess.Popen(
            [sys.executable, "-m", "pipeline", "watch", "--web"], cwd=folder, env=env,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        try:
            inbox = folder / "inbox"
            time.sleep(3)
            for path in found:
                part = inbox / f".{path.parent.name}.part"
                part.write_bytes(path.read_bytes())
                os.rename(part, inbox / f"{path.parent.name}{path.suffix}")
            deadline = time.monotonic() + 900
            while time.monotonic() < deadline:
                got = outcomes(folder)
                if len(got) == len(found) and all(v["state"] in FINAL for v in got.values()):
                    break
                time.sleep(1)
            else:
                raise SystemExit("letters watch did not finish every letter in time")
            import sqlite3

            db = sqlite3.connect(folder / "data" / "letters.db")
            waiting = db.execute(
                "SELECT id, original_name, reasons FROM cases WHERE state = 'waiting_review' ORDER BY id"
            ).fetchall()
            url = f"http://127.0.0.1:{port}"
            rows: list[Done] = []
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
                clerk = browser.new_context(
                    locale="zh-CN", viewport={"width": 1400, "height": 1000}
                ).new_page()
                reviewer = browser.new_context(
                    locale="zh-CN", viewport={"width": 1400, "height": 1000}
                ).new_page()
                sign_in(clerk, url, CLERK[0])
                sign_in(reviewer, url, REVIEWER[0])
                if shots:  # the queue as each of them first sees it, on an office laptop's screen
                    for who, window, at in ((CLERK, clerk, "/"), (REVIEWER, reviewer, "/?state=second")):
                        window.set_viewport_size({"width": 1366, "height": 768})
                        window.goto(f"{url}{at}")
                        window.screenshot(path=str(shots / f"queue-{who[0]}-1366.png"))
                        window.set_viewport_size({"width": 1400, "height": 1000})
                for case_id, name, reasons in waiting:
                    sample = Path(name).stem
                    truth = json.loads((next(samples.glob(f"*/{sample}")) / "truth.json").read_text("utf-8"))
                    codes = sorted({r["code"] for r in json.loads(reasons or "[]")})
                    done = Done(sample, ",".join(codes), expected=expected_verdicts(truth))
                    before = (EFFORT.clicks, EFFORT.keys)
                    if not clerk.url.endswith(f"/cases/{case_id}"):  # else opened by the last release
                        clerk.goto(f"{url}/cases/{case_id}")
                        EFFORT.click()  # from the queue
                    clerk.wait_for_load_state("load")
                    if shots:
                        clerk.screenshot(path=str(shots / f"{sample}-case.png"), full_page=True)
                    correct(clerk, truth, done)
                    settle(clerk, truth, done)
                    if flow == "after":
                        compare(clerk, done)
                    said = release(clerk, url, case_id, shots, sample)
                    done.released_by = CLERK[1]
                    if "复核" in said and "已生成复函" not in said:  # the two-person rule: not hers to send
                        done.actions.append("已提交复核")
                        reviewer.goto(f"{url}/?state=second")
                        reviewer.click(f"table.queue a[href$='/cases/{case_id}']")  # from 待二次复审
                        EFFORT.click()
                        said = release(reviewer, url, case_id, shots, f"{sample}-review")
                        done.released_by = REVIEWER[1]
                    row = db.execute(
                        "SELECT state, check_json FROM cases WHERE id = ?", (case_id,)
                    ).fetchone()
                    done.state = row[0]
                    done.effort = (EFFORT.clicks - before[0], EFFORT.keys - before[1])
                    done.verdicts = [r["verdict"] for r in json.loads(row[1])["results"]] if row[1] else []
                    if done.state != "replied":
                        done.released_by = f"未发出：{said[:80]}"
                    rows.append(done)
                browser.close()
            db.close()
        finally:
            proc.send_signal(signal.SIGTERM)
            proc.wait(60)
    bad = 0
    print(
        f"{'letter':<6} {'waited for':<36} {'done in the browser':<60} {'released by':<8} {'clicks+keys':<12} result"
    )
    for d in rows:
        ok = d.state == "replied" and d.verdicts == d.expected
        bad += not ok
        verdicts = "".join(v[0] for v in d.verdicts)
        effort = f"{d.effort[0]}+{d.effort[1]}"
        print(f"{d.sample:<6} {d.waited:<36} {'；'.join(d.actions) or '（核对原件，无需更正）':<60} "
              f"{d.released_by:<8} {effort:<12} {d.state} {verdicts}{'' if ok else '  ← expected ' + ''.join(v[0] for v in d.expected)}")  # fmt: skip
    print(f"\n{len(rows)} letters waited for review; {len(rows) - bad} finished in the browser as expected")
    if rows:
        import statistics

        total = sorted(sum(d.effort) for d in rows)
        worst = max(rows, key=lambda d: sum(d.effort))
        print(f"clicks and keys per letter ({flow}): median {statistics.median(total):g}, "
              f"worst {sum(worst.effort)} ({worst.sample}: {worst.effort[0]} clicks, {worst.effort[1]} keys)")  # fmt: skip
    return 1 if bad or not rows else 0


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("samples", type=Path)
    parser.add_argument("--screens", type=Path)
    parser.add_argument(
        "--possible-as", choices=("clear", "listed"), default="clear",
        help="how the clerk decides a possible match (listed: a civil-servant letter then needs its second review)",
    )  # fmt: skip
    parser.add_argument(
        "--flow", choices=("after", "before"), default="after",
        help="before: no item-by-item comparison of scans (a checkout from before the console had it)",
    )  # fmt: skip
    args = parser.parse_args()
    DECIDE["possible"] = args.possible_as
    if args.screens:
        args.screens.mkdir(parents=True, exist_ok=True)
    return run(args.samples.resolve(), args.screens, args.flow)


if __name__ == "__main__":
    sys.exit(main())
