"""The report's tables as rows of text: one place, so the .docx, the PDF and the .xlsx say the same."""

from __future__ import annotations

from pipeline.reports.figures import Figures


def _share(value: float | None) -> str:
    return "—" if value is None else f"{value:.1%}"


def summary(f: Figures) -> list[tuple[str, str, str]]:
    """(item, this period, the period before)."""
    before = _summary(f.previous) if f.previous is not None else None
    return [(item, now, before[i][1] if before else "—") for i, (item, now) in enumerate(_summary(f))]


def narrative(f: Figures) -> str:
    """总体情况 in sentences: what a director reads before the tables."""
    text = (
        f"本期共收到社会信用记录查询函{f.received}件，出具复函{f.answered}件，"
        f"复函涉及查询对象{f.people}人，其中属于失信联合惩戒对象{f.hits}人"
    )
    text += f"、身份证号码有误未予查询{f.not_checked}人。" if f.not_checked else "。"
    if f.answered:
        text += f"3个工作日内复函{f.on_time}件，占{_share(f.on_time_share)}"
        text += f"；经沟通延期、在延期内复函{f.within_delay}件" if f.within_delay else ""
        text += f"；超过期限复函{f.late}件。" if f.late else "；无超过期限复函。"
    apart = [
        f"处理失败的文件{f.failed}件" if f.failed else "",
        f"重复来函{f.duplicates}件" if f.duplicates else "",
    ]
    if any(apart):
        text += "另收到" + "、".join(a for a in apart if a) + "，未计入查询函。"
    if f.previous is not None:
        change = f.received - f.previous.received
        trend = f"增加{change}件" if change > 0 else f"减少{-change}件" if change < 0 else "持平"
        text += f"与上期（收到{f.previous.received}件）相比，收到查询函{trend}。"
    return text


def _summary(f: Figures) -> list[tuple[str, str]]:
    median = "—" if f.median_workdays is None else f"{f.median_workdays:g}个工作日"
    worst = "—" if f.worst_workdays is None else f"{f.worst_workdays}个工作日"
    return [
        ("收到查询函（不含重复来函、处理失败的文件）", f"{f.received}件"),
        ("出具复函", f"{f.answered}件"),
        ("复函涉及查询对象", f"{f.people}人"),
        ("其中属于失信联合惩戒对象（以异议复核结果为准）", f"{f.hits}人"),
        ("经异议复核更正结果", f"{f.changed_on_objection}人"),
        ("身份证号码有误，未予查询", f"{f.not_checked}人"),
        ("处理失败的文件", f"{f.failed}件"),
        ("重复来函（未重复办理）", f"{f.duplicates}件"),
        ("关闭（无需复函）", f"{f.closed}件"),
        ("本期收到、尚未办结", f"{f.still_open}件"),
        ("3个工作日内复函", f"{f.on_time}件（{_share(f.on_time_share)}）"),
        ("经沟通延期、在延期内复函", f"{f.within_delay}件"),
        ("超过期限复函", f"{f.late}件"),
        ("办理用时中位数", median),
        ("办理用时最长", worst),
        ("抽查抽检：抽取 / 已核对 / 发现错误", f"{f.spot_drawn} / {f.spot_checked} / {f.spot_errors}件"),
    ]


def by_kind(f: Figures) -> list[tuple[str, str, str]]:
    kinds = sorted(set(f.received_by_kind) | set(f.answered_by_kind))
    return [(k, str(f.received_by_kind.get(k, 0)), str(f.answered_by_kind.get(k, 0))) for k in kinds]


def by_unit(f: Figures) -> list[tuple[str, str, str]]:
    return [(unit, str(r), str(a)) for unit, r, a in f.by_unit]


def hits(f: Figures) -> list[tuple[str, str]]:
    return [(name, f"{n}人") for name, n in f.hits_by_list.items()]


def settled(f: Figures) -> list[tuple[str, str]]:
    return [(how, f"{n}人") for how, n in f.settled.items()]


def delays(f: Figures) -> list[tuple[str, str, str, str, str]]:
    return [(str(d.case_id), d.unit, f"{d.new_due:%Y-%m-%d}", d.reason, d.by) for d in f.delays]


def spot_findings(f: Figures) -> list[tuple[str, str]]:
    return [(str(case_id), finding) for case_id, finding in f.spot_findings]


def workload(f: Figures) -> list[tuple[str, str]]:
    return [(person, f"{n}件") for person, n in f.workload.items()]


def objections(f: Figures) -> list[tuple[str, str]]:
    if not f.objections and not (f.objection_steps_on_time + f.objection_steps_late):
        return []
    rows = [("收到异议申请", f"{f.objections}件")]
    rows += [(f"复核结果：{how}", f"{n}件") for how, n in f.objection_results.items()]
    rows += [
        ("办理环节按时完成", f"{f.objection_steps_on_time}个"),
        ("办理环节逾期完成", f"{f.objection_steps_late}个"),
    ]
    return rows
