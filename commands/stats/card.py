"""/stats [today|yesterday|YYYY-MM-DD|week|month|FROM..TO] [queue] [@agent]: the figures card.

Team totals for everyone; per-agent rows: an agent sees their own, a coordinator every
row (or the one named). A single day carries the chart of its hours, at a signed,
expiring URL. The daily broadcast (``commands.stats.daily``) builds the same card with
no agent rows, for the team space.

The card is written in the current language (the asker's; the team's for the daily
report), and the chart's link carries that language so the image speaks it too.
"""

from __future__ import annotations

from datetime import date, timedelta

from commands.core import Command, Context, Denied, Reply, Section, Services, UsageError
from commands.format import duration, first_name
from commands.links import url as signed_url
from commands.refs import split_person
from commands.stats.figures import AgentRow, StatsReport, collect, ensure_basis
from commands.stats.metrics import Figures, clock, percent
from commands.stats.period import FORMS, Period, is_period, parse_period
from store import i18n
from store.calls import registry
from store.db import reading
from store.i18n import N_, _, ngettext
from store.queue.activity import reason_name
from store.team.people import Role

CHART_PURPOSE = "charts"
CHART_LINK_DAYS = 30  # chat clients fetch card images when they show them, maybe later


def chart_url(services: Services, day: date, queue: str | None) -> str:
    """The signed link to the day's chart, drawn in the current language ("l")."""
    expires = services.clock.now() + timedelta(days=CHART_LINK_DAYS)
    return signed_url(services.settings, CHART_PURPOSE,
                      {"d": day.isoformat(), "q": queue, "l": i18n.current()},
                      suffix=".png", expires=expires)


def report_for(services: Services, period: Period, queue: str | None, *,
               agents: bool = True, hourly: bool = False) -> StatsReport:
    basis = ensure_basis(services)
    with reading(services.sessions) as session:
        return collect(session, period, basis=basis, config=services.settings,
                       now=services.clock.now(), queue=queue, agents=agents, hourly=hourly)


def run(ctx: Context, services: Services) -> Reply:
    with reading(services.sessions) as session:
        person, words = split_person(session, ctx.args)
    by_category = _wants_categories(words)
    periods = [w for w in words if is_period(w)]
    queues = [w for w in words if not is_period(w)]
    if len(periods) > 1 or len(queues) > 1:
        raise UsageError(_("Give at most one period ({forms}) and one queue.").format(
            forms=_(FORMS)))
    is_coordinator = ctx.role.allows(Role.COORDINATOR)
    if person is not None and person.id != ctx.person.id and not is_coordinator:
        raise Denied(_("Agents see the team's totals and their own figures; ask a coordinator "
                       "for {name}'s.").format(name=first_name(person)))
    period = parse_period(periods[0] if periods else None, ctx.now, services.settings.timezone)
    queue = queues[0] if queues else None
    report = report_for(services, period, queue)
    if queue is not None and queue not in report.queues and not report.figures.received:
        seen = ", ".join(report.queues) or _("none")
        return Reply(_("No calls in queue {queue} {period}. Queues with calls: {queues}.").format(
            queue=queue, period=period.label, queues=seen), private=True)
    if person is not None:
        keep = {person.key}
    elif is_coordinator:
        keep = None
    else:
        keep = {ctx.person.key}
    rows = tuple(r for r in report.agents if keep is None or r.key in keep)
    day = period.single_day
    url = chart_url(services, day, queue) if day is not None else None
    reply = card(report, rows=rows, chart=url, private=True)
    if not by_category:
        return reply
    with reading(services.sessions) as session:
        counted = registry.counts_by_category(session, period.begin, period.end)
        labels = {c.id: c for c in registry.categories(session)}
        rows_by_category = tuple((registry.path(c, labels), str(n)) for c, n in counted)
    section = Section(title=_("Calls by category"), rows=rows_by_category or (
        ("—", _("no call was typified {period}").format(period=period.label)),))
    return Reply(reply.text, (*reply.sections, section), private=reply.private)


def _wants_categories(words: list[str]) -> bool:
    """``… by category`` (also "per category", "por categoría"): taken out of ``words``."""
    lowered = [w.casefold() for w in words]
    for i in range(len(lowered) - 1):
        if lowered[i] in ("by", "per", "por") and lowered[i + 1].startswith(("categor",)):
            del words[i:i + 2]
            return True
    return False


def card(report: StatsReport, *, rows: tuple[AgentRow, ...], chart: str | None,
         private: bool) -> Reply:
    f = report.figures
    label, queue = report.period.label, report.queue
    if not f.received:
        text = (_("No calls in queue {queue} {period}.").format(queue=queue, period=label)
                if queue else _("No calls {period}.").format(period=label))
    else:
        counts = {
            "offered": ngettext("{n} offered", "{n} offered", f.offered).format(n=f.offered),
            "answered": answered(f.answered),
            "rate": percent(f.answered_rate_pct),
            "abandoned": ngettext("{n} abandoned", "{n} abandoned", f.abandoned).format(
                n=f.abandoned),
        }
        text = (_("Calls in queue {queue} {period}: {offered}, {answered} ({rate}), "
                  "{abandoned}.").format(queue=queue, period=label, **counts) if queue
                else _("Calls {period}: {offered}, {answered} ({rate}), {abandoned}.").format(
                    period=label, **counts))
    sections = [Section(title=_("Figures"), rows=figure_rows(f))]
    if report.outside_turns is not None and report.outside_turns.received:
        sections.append(Section(title=_("Outside the turns"),
                                rows=figure_rows(report.outside_turns)[:3]))
    if rows:
        sections.append(Section(title=_("Agents"), rows=tuple(
            (f"{r.name} ({r.extension})" if r.extension else r.name, agent_line(r))
            for r in rows)))
    if chart is not None:
        sections.append(Section(title=_("Calls per hour"), image_url=chart))
    return Reply(text, tuple(sections), private=private)


def answered(n: int) -> str:
    """"4 answered" ("4 ateses", "4 atendidas")."""
    return ngettext("{n} answered", "{n} answered", n).format(n=n)


def figure_rows(f: Figures) -> tuple[tuple[str, str], ...]:
    sl = f.service_level_seconds
    answered_value = (_("{n} · {pct} of offered ({transferred} transferred)").format(
        n=f.answered, pct=percent(f.answered_rate_pct), transferred=f.transferred)
        if f.transferred else _("{n} · {pct} of offered").format(
        n=f.answered, pct=percent(f.answered_rate_pct)))
    rows = [
        (_("Offered"), _("{offered} (received {received}; {closed} closed, {short} short "
                         "abandons under {seconds} s left out)").format(
            offered=f.offered, received=f.received, closed=f.closed, short=f.short_abandons,
            seconds=f.short_abandon_seconds)),
        (_("Answered"), answered_value),
        (_("Abandoned"), _("{n} · {pct} of offered · after {wait} on average").format(
            n=f.abandoned, pct=percent(f.abandon_rate_pct),
            wait=clock(f.mean_abandon_wait_seconds))),
        (_("Timeouts · other exits · full"), f"{f.timeouts} · {f.other_exits} · {f.full}"),
        (_("Service level {seconds} s (of answered)").format(seconds=sl),
         percent(f.service_level_pct)),
        (_("Service level {seconds} s (of answered + abandoned)").format(seconds=sl),
         percent(f.service_level_inclusive_pct)),
        (_("ASA (mean wait, answered)"), clock(f.asa_seconds)),
        (_("Wait: mean · longest"),
         f"{clock(f.mean_wait_seconds)} · {clock(f.max_wait_seconds)}"),
        (_("AHT (talk + wrap-up)"), clock(f.aht_seconds)),
    ]
    if f.waiting:
        rows.append((_("Still waiting"), str(f.waiting)))
    return tuple(rows)


def agent_line(row: AgentRow) -> str:
    f, spent = row.figures, row.time
    parts = [answered(f.answered)]
    if f.answered:
        parts.append(_("talk {time}").format(time=duration(f.talk_seconds)))
        parts.append(_("AHT {time}").format(time=clock(f.aht_seconds)))
    if spent.pauses:
        detail = ", ".join(f"{reason_name(reason)} {duration(seconds)}"
                           for reason, (_count, seconds) in sorted(spent.pauses.items()))
        parts.append(_("paused {time} ({detail})").format(time=duration(spent.paused),
                                                           detail=detail))
    else:
        parts.append(_("no pauses"))
    parts.append(_("logged in {time}").format(time=duration(spent.logged_in)))
    return " · ".join(parts)


COMMAND = Command(
    name="stats",
    run=run,
    summary=N_("Call figures: offered, answered, abandoned, service level, ASA, AHT, per "
               "agent"),
    usage="/stats [today|yesterday|YYYY-MM-DD|week|month|FROM..TO] [queue] [@agent] "
          "[by category]",
    aliases=("how are we doing", "statistics"),
)
