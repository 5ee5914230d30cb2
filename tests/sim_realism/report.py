"""Print every figure of the realism suite against issue 7's bars, for both tiers.

    .venv/bin/python -m tests.sim_realism.report            # everything
    .venv/bin/python -m tests.sim_realism.report classify   # one or more sections:
        classify extract techniques injection tools

The tests use the same formatting functions for their failure messages.
"""

from __future__ import annotations

import math
import sys
import time

from . import harness as h


def _f(x: float) -> str:
    return "  n/a" if math.isnan(x) else f"{x:5.2f}"


def _mark(ok: bool) -> str:
    return "ok  " if ok else "FAIL"


def classification_table() -> str:
    lines = [
        "1. Classification of unambiguous inputs (accuracy per layout; bar "
        f"sim-small >= {h.CLASSIFY_BAR['sim-small']}, sim-large >= {h.CLASSIFY_BAR['sim-large']}; "
        f"off-label <= {h.OFF_LABEL_MAX})",
        f"{'layout':<13}"
        + "".join(f"{tier:>12}" for tier in h.TIERS)
        + "".join(f"{'off ' + tier:>16}" for tier in h.TIERS),
    ]
    figures = {tier: h.classification(tier) for tier in h.TIERS}
    for layout in h.LAYOUTS:
        cells = []
        for tier in h.TIERS:
            acc = figures[tier].accuracy[layout]
            cells.append(f"{acc:7.3f} {_mark(acc >= h.CLASSIFY_BAR[tier])}")
        offs = [f"{figures[tier].off_label_per_layout[layout]:16.3f}" for tier in h.TIERS]
        lines.append(f"{layout:<13}" + "".join(f"{c:>12}" for c in cells) + "".join(offs))
    cells = []
    for tier in h.TIERS:
        off = figures[tier].off_label
        cells.append(f"{off:7.3f} {_mark(off <= h.OFF_LABEL_MAX)}")
    lines.append(f"{'off-label':<13}" + "".join(f"{c:>12}" for c in cells) + "  (all layouts)")
    n = figures[h.TIERS[0]].n_per_layout
    lines.append(f"({n} replies per layout and tier: label sets x inputs x {len(h.SEEDS)} seeds)")
    lines.append(
        "per label set (sim-large): "
        + "; ".join(
            f"{layout}: "
            + ", ".join(f"{k} {v:.2f}" for k, v in figures["sim-large"].per_set[layout].items())
            for layout in h.LAYOUTS
        )
    )
    return "\n".join(lines)


def classification_failures(tier: str, layout: str | None = None) -> str:
    fig = h.classification(tier)
    layouts = [layout] if layout else list(h.LAYOUTS)
    out = []
    for name in layouts:
        for example in fig.failures.get(name, [])[:4]:
            out.append(f"  {tier} {name}: {example}")
    return "\n".join(out)


def extraction_table() -> str:
    lines = [
        "2. Extraction with a JSON schema (share of messages with every field right; bar "
        f"sim-small >= {h.EXTRACT_BAR['sim-small']}, sim-large >= {h.EXTRACT_BAR['sim-large']})"
    ]
    for tier in h.TIERS:
        fig = h.extraction(tier)
        ok = _mark(fig.all_right >= h.EXTRACT_BAR[tier])
        lines.append(f"{tier:<10} all fields right {fig.all_right:.3f} {ok}  ({fig.n} replies)")
        weak = {k: v for k, v in fig.per_field.items() if v < 1.0}
        lines.append(
            "   fields below 1.0: " + (", ".join(f"{k} {v:.2f}" for k, v in weak.items()) or "none")
        )
    return "\n".join(lines)


def extraction_failures(tier: str) -> str:
    return "\n".join(f"  {tier}: {f}" for f in h.extraction(tier).failures[:6])


def technique_table() -> str:
    lines = [
        "3. Prompt techniques: effect = rate(with) - rate(without); ratio = paraphrase effect / "
        f"documented effect. Bars: median ratio >= {h.PARAPHRASE_MEDIAN_MIN}, mean content-free "
        f"ratio <= {h.CONTENT_FREE_MAX}",
        f"{'technique':<21}{'tier':<10}{'w/o':>6}{'doc':>6}{'effect':>13}{'median':>8}"
        f"{'cf mean':>9}  ratios of the 10 paraphrases | content-free",
    ]
    for name in h.technique_names():
        for tier in h.TIERS:
            f = h.technique(name, tier)
            med, cf = f.paraphrase_median, f.content_free_mean
            ok_med = not math.isnan(med) and med >= h.PARAPHRASE_MEDIAN_MIN
            ok_cf = not math.isnan(cf) and cf <= h.CONTENT_FREE_MAX
            lines.append(
                f"{name:<21}{tier:<10}{f.without:6.2f}{f.documented:6.2f}"
                f"{f.effect:7.2f}±{f.effect_se:.2f} {_f(med)}{'' if ok_med else '!'}"
                f"{_f(cf):>8}{'' if ok_cf else '!'}  "
                + " ".join(_f(r).strip() for r in f.paraphrase_ratios)
                + " | "
                + " ".join(_f(r).strip() for r in f.content_free_ratios)
            )
    lines.append(
        "metrics: "
        + "; ".join(f"{t.name}: {t.metric}" for t in h.TECHNIQUES)
        + ". '!' marks a missed bar; n/a = documented effect below "
        f"{h.MIN_DOCUMENTED_EFFECT} (nothing to compare with)."
    )
    return "\n".join(lines)


def technique_detail(name: str, tier: str) -> str:
    f = h.technique(name, tier)
    tech = next(t for t in h.TECHNIQUES if t.name == name)
    spec = tech.spec()
    lines = [
        f"{name} on {tier} ({f.metric}); {f.n_anchor} requests per anchor, {f.n} per variant",
        f"  without {f.without:.3f}, documented {f.documented:.3f}, "
        f"effect {f.effect:.3f} ± {f.effect_se:.3f}",
    ]
    for value, ratio, text in zip(
        f.paraphrases, f.paraphrase_ratios, spec["paraphrases"], strict=True
    ):
        lines.append(f"  paraphrase {value:.3f} ratio {_f(ratio)}  {str(text)[:90]!r}")
    for value, ratio, text in zip(
        f.content_free, f.content_free_ratios, spec["content_free"], strict=True
    ):
        lines.append(f"  content-free {value:.3f} ratio {_f(ratio)}  {str(text)[:90]!r}")
    return "\n".join(lines)


def injection_table() -> str:
    lo, hi = h.INJECTION_LARGE_RANGE
    lines = [
        "4. Injection with no defence (compliance = the reply is the demanded code word). Bars: "
        f"sim-small >= {h.INJECTION_SMALL_MIN} and >= half the styles obeyed once; sim-large in "
        f"[{lo}, {hi}] and >= a third of the styles obeyed once"
    ]
    styles = [s["name"] for s in h.load("injection")["styles"]]
    figures = {tier: h.injection(tier) for tier in h.TIERS}
    for tier, fig in figures.items():
        need = math.ceil(len(styles) / (2 if tier == "sim-small" else 3))
        ok_rate = (
            fig.compliance >= h.INJECTION_SMALL_MIN
            if tier == "sim-small"
            else lo <= fig.compliance <= hi
        )
        lines.append(
            f"{tier:<10} compliance {fig.compliance:.3f} {_mark(ok_rate)}  styles obeyed "
            f"{fig.styles_obeyed}/{len(styles)} (need {need}) {_mark(fig.styles_obeyed >= need)}  "
            + "  ".join(f"{k} {v:.2f}" for k, v in fig.per_task.items())
            + f"  ({fig.n} replies)"
        )
    lines.append(f"{'style':<22}" + "".join(f"{tier:>11}" for tier in h.TIERS))
    for style in styles:
        lines.append(
            f"{style:<22}" + "".join(f"{figures[t].per_style[style]:11.2f}" for t in h.TIERS)
        )
    return "\n".join(lines)


def tools_table() -> str:
    lines = [
        "5. Tool choice (right tool called; bar "
        f"sim-small >= {h.TOOL_BAR['sim-small']}, sim-large >= {h.TOOL_BAR['sim-large']})"
    ]
    for tier in h.TIERS:
        fig = h.tool_choice(tier)
        lines.append(
            f"{tier:<10} right tool {fig.accuracy:.3f} {_mark(fig.accuracy >= h.TOOL_BAR[tier])}"
            f"  no call {fig.no_call:.3f}  ({fig.n} replies)"
        )
    return "\n".join(lines)


SECTIONS = {
    "classify": classification_table,
    "extract": extraction_table,
    "techniques": technique_table,
    "injection": injection_table,
    "tools": tools_table,
}


def main(argv: list[str]) -> int:
    chosen = argv or list(SECTIONS)
    unknown = [a for a in chosen if a not in SECTIONS]
    if unknown:
        print(f"unknown section(s) {unknown}; choose from {list(SECTIONS)}", file=sys.stderr)
        return 2
    started = time.perf_counter()
    for name in chosen:
        print(SECTIONS[name]())
        print()
    print(f"({time.perf_counter() - started:.1f} s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
