"""`letters status`: counts by state, the oldest waiting case, list freshness and service health."""

from __future__ import annotations

import argparse


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "status",
        help="服务运行状况：各状态案件数、最早待办、名单时效、服务是否在运行",
        description="显示服务运行状况。",
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from pipeline.cases.context import open_context
    from pipeline.cases.listing import status
    from pipeline.storage.models import CaseState

    with open_context() as ctx:
        with ctx.db.sessions() as session:
            st = status(session, ctx.calendar, ctx.settings.freshness_days)
        print("案件：" + "，".join(f"{CaseState(k).label_zh}{v}件" for k, v in st.counts.items()))
        if st.oldest_waiting is not None:
            o = st.oldest_waiting
            print(
                f"最早待办：第{o.id}号（{o.state_zh}，{o.unit or o.original_name}，接收于 {o.received_at:%Y-%m-%d %H:%M}，期限 {o.due:%Y-%m-%d}）"
            )
        else:
            print("最早待办：无")
        if st.overdue or st.due_soon:
            print(f"期限：{st.overdue}件已超期，{st.due_soon}件即将到期（letters cases --open 查看）")
        if not st.has_accounts:
            print(
                "账号：尚无任何账号，网页办理界面无人能登录。请先新增管理员：letters users add 用户名 --name 姓名 --role admin"
            )
        if not st.lists:
            print(
                "失信名单：尚未导入任何名单，来函无法核查、不会自动复函。请导入：letters records import 名单文件.csv"
                "（列：姓名、身份证号码，可含认定部门、认定文书号、列入日期、移出日期；见 docs/clerks.md）"
            )
        for name, imported, rows, stale in st.lists:
            when = f"{imported:%Y-%m-%d %H:%M} 导入" if imported else "未导入"
            state = "已过期，需重新导入" if stale else "有效"
            print(f"失信名单：{name}，{rows}条，{when}，{state}")
        alive = [i for i in st.instances if i.alive]
        if alive:
            for i in alive:
                mode = "轮询" if i.mode == "polling" else "文件事件"
                print(
                    f"服务：运行中（{i.host} 进程{i.pid}，{mode}模式，启动于 {i.started_at:%Y-%m-%d %H:%M}，最近心跳 {i.heartbeat_at:%H:%M:%S}）"
                )
        else:
            print("服务：未运行（letters watch 启动）")
        for i in st.instances:
            if not i.alive:
                print(
                    f"服务：{i.host} 进程{i.pid} 已无响应（最近心跳 {i.heartbeat_at:%Y-%m-%d %H:%M:%S}），其案件将由下一次启动的服务接手"
                )
        if not ctx.settings.contact_name:
            print("复函联系人：未配置，复函只印“电话”。请在 letters.toml 中填写 contact_name（联系人姓名）。")
        for year in st.unknown_years:
            print(f"警告：{year}年的节假日安排尚未录入，期限按周一至周五计算；请在 holidays.toml 中补充。")
        return 0
