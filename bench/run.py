#!/usr/bin/env python
"""`make bench`: every bench in its short mode, then the budget table's measured counts, gathered
into bench/results/latest.json and shown as bench/results/latest.md (a table per bench and the
budget table) and bench/results/latest.png (each targeted row's ratio against its target).

    .venv/bin/python bench/run.py                  # every bench (--quick) and the budgets
    .venv/bin/python bench/run.py --only bus --only budgets   # some; the others keep their last results
    .venv/bin/python bench/run.py --render         # only re-render latest.md and latest.png from latest.json

Each bench runs as ``bench/<name>.py --quick --json bench/results/<name>.json`` (bench/report.py's
shape) with a timeout of its own, its output kept in bench/results/<name>.log. A bench that
fails, times out or writes no JSON is recorded as "did not run" with the reason and the tail of
its output: one broken bench must not hide the others. The budgets come from
``pytest tests/unit/budgets`` with ``BUDGETS_REPORT=bench/results/budgets.json``: counts of store
commands, the same on any store, but labelled with the one the tests ran on like every figure.
The benches need a RabbitMQ at ``AMQP_URL`` (the Makefile starts a private node for the run).
"""
from __future__ import annotations

import argparse
import importlib.metadata
import json
import os
import signal
import subprocess
import sys
import time
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench import report  # noqa: E402
from bench.harness import machine, say  # noqa: E402

RESULTS = ROOT / "bench" / "results"
BUDGETS_TABLE = ROOT / "bench" / "budgets.toml"

# Each bench's limit in seconds. Its --quick run as measured on the 2 cores shared with other
# work (load average 27-38, 2026-12-06): bus 52 s, members 224 s, events 100 s, notifications
# (--recipients 2000) and awards over 300 s, surveys 84 s, mentoring 201 s, portal 122 s: on
# such a machine they do not all fit in 10 minutes, so the run keeps to TOTAL_S whatever the
# limits, a bench starting with what is left of it (the rest: "did not run", and why).
BENCHES = {
    "bus": 120,
    "members": 330,  # 155 s idle since its judged directory row searches 50,000 members for 40 s
    "events": 180,
    "notifications": 180,
    "welcome": 90,
    "surveys": 150,
    "mentoring": 150,
    "awards": 150,
    "portal": 180,
}
# Benches that otherwise make a vhost on the machine's default RabbitMQ with rabbitmqctl: under
# `make bench` they use the run's own node (AMQP_URL) as it is.
GIVEN_BROKER = {"notifications", "welcome"}
BUDGETS_TIMEOUT_S = 120  # the budget tests take about 10 s
TOTAL_S = 570  # make bench's 10 minutes, less the broker's start: a bench gets what is left of it
TAIL_LINES = 15


# ------------------------------------------------------------------------------------------
# Running
# ------------------------------------------------------------------------------------------

def tail(text: str, lines: int = TAIL_LINES) -> str:
    return "\n".join(text.rstrip().splitlines()[-lines:])


def did_not_run(name: str, reason: str, output: str = "", seconds: float | None = None) -> dict:
    return {"bench": name, "status": "did not run", "reason": reason, "tail": tail(output),
            "seconds": seconds, "rows": [], "notes": []}


def run_bench(name: str, timeout_s: float, results: Path = RESULTS, script: Path | None = None) -> dict:
    """Run one bench (``script``, bench/<name>.py unless given) in its short mode; its document
    (bench/report.py's shape) with the run's own facts added, or a "did not run" record saying why."""
    out = results / f"{name}.json"
    log = results / f"{name}.log"
    out.unlink(missing_ok=True)  # a stale file from an earlier run must not pass for this one
    load = os.getloadavg()[0]
    say(f"bench {name} (--quick, limit {timeout_s:.0f}s) ...")
    started = time.monotonic()
    with log.open("w", encoding="utf-8") as sink:
        command = [sys.executable, str(script or ROOT / "bench" / f"{name}.py"), "--quick", "--json", str(out)]
        if name in GIVEN_BROKER and os.environ.get("AMQP_URL"):
            command += ["--amqp-url", os.environ["AMQP_URL"]]
        code = run_limited(command, sink, timeout_s)
    seconds = time.monotonic() - started
    output = log.read_text(encoding="utf-8", errors="replace")
    if code is None:
        return did_not_run(name, f"timed out after {timeout_s:.0f}s", output, seconds)
    document = read_document(out)
    if document is None:
        why = f"exit code {code}" if code else "exited 0"
        reason = f"{why} and wrote no JSON at {shown(out)}" + (
            " (or not in bench/report.py's shape)" if out.exists() else "")
        return did_not_run(name, reason, output, seconds)
    document.update(bench=name, status="ran", seconds=seconds, exit_code=code, load_average=load)
    if code:
        document.setdefault("notes", []).append(f"the bench exited with code {code}: see {shown(log)}")
    return document


def run_limited(command: list[str], sink, timeout_s: float) -> int | None:
    """Run ``command`` in a process group of its own, output to ``sink``; its exit code, or None
    when it ran out of time: then SIGTERM to the group (a bench cleans up on it: its store,
    gunicorns and queues), SIGKILL what is left 20 s later."""
    proc = subprocess.Popen(command, cwd=ROOT, stdout=sink, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        return proc.wait(timeout_s)
    except subprocess.TimeoutExpired:
        signal_group(proc.pid, signal.SIGTERM)
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            pass
        signal_group(proc.pid, signal.SIGKILL)  # whatever of the group outlived its cleanup
        proc.wait()
        return None


def signal_group(pgid: int, sig: int) -> None:
    try:
        os.killpg(pgid, sig)
    except ProcessLookupError:
        pass


def shown(path: Path) -> str:
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)


def read_document(path: Path) -> dict | None:
    """A bench's JSON if it has bench/report.py's shape (rows of at least "row" and "value")."""
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(document, dict) or not isinstance(document.get("rows"), list):
        return None
    if not all(isinstance(r, dict) and {"row", "value"} <= r.keys() for r in document["rows"]):
        return None
    return document


def run_budgets(results: Path = RESULTS) -> dict:
    """Run the budget tests, recording the store commands each row's operation took."""
    out = results / "budgets.json"
    out.unlink(missing_ok=True)  # the tests merge into an existing file: start from none
    say("budgets (pytest tests/unit/budgets) ...")
    load = os.getloadavg()[0]
    env = {**os.environ, "BUDGETS_REPORT": str(out)}
    try:
        proc = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/unit/budgets"],
                              cwd=ROOT, env=env, capture_output=True, text=True, timeout=BUDGETS_TIMEOUT_S)
        output, code = proc.stdout + proc.stderr, proc.returncode
    except subprocess.TimeoutExpired:
        output, code = f"timed out after {BUDGETS_TIMEOUT_S}s", None
    try:
        measured = json.loads(out.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        measured = {}
    return budget_rows(measured, output, code, load)


def budget_rows(measured: dict, output: str = "", code: int | None = 0, load: float | None = None) -> dict:
    """Every row of bench/budgets.toml beside what its test measured (none: "not measured")."""
    table = tomllib.loads(BUDGETS_TABLE.read_text(encoding="utf-8"))["budget"]
    rows = []
    for row in table:
        seen = measured.get(row["id"])
        rows.append({"id": row["id"], "operation": row["operation"], "budget": row["commands"],
                     "measured": seen["commands"] if seen else None,
                     "by_kind": seen["by_kind"] if seen else {},
                     "amortised_over": seen.get("amortised_over", 1) if seen else None,
                     "verdict": "" if seen is None else ("PASS" if seen["commands"] <= row["commands"] else "MISS")})
    return {"store": tests_store(), "rows": rows, "pytest_exit_code": code,
            "pytest_summary": tail(output, 1), "load_average": load}


def tests_store() -> str:
    """The store the unit tests run on: the embedded SecantusDB (tests/conftest.py)."""
    try:
        version = importlib.metadata.version("SecantusDB")
    except importlib.metadata.PackageNotFoundError:
        version = "?"
    return f"SecantusDB {version} (the tests' embedded store; the counts are the same on MongoDB)"


def dirty() -> bool:
    try:
        return bool(subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=ROOT,
                                   capture_output=True, text=True, timeout=10).stdout.strip())
    except (OSError, subprocess.SubprocessError):
        return False


def gather(names: list[str], with_budgets: bool, previous: dict | None) -> dict:
    """Run ``names`` (and the budgets); what was not run this time keeps its previous result."""
    previous = previous or {}
    kept = {b["bench"]: b for b in previous.get("benches", [])}
    started = time.monotonic()
    for name in names:
        left = TOTAL_S - (BUDGETS_TIMEOUT_S if with_budgets else 0) - (time.monotonic() - started)
        if left < 30:
            kept[name] = did_not_run(name, f"the run's {TOTAL_S}s were spent before it started")
            continue
        kept[name] = run_bench(name, min(BENCHES[name], left))
    budgets = run_budgets() if with_budgets else previous.get("budgets")
    return {"generated": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "commit": report.commit() + (" + uncommitted changes" if dirty() else ""),
            "machine": machine(), "quick": True, "seconds": time.monotonic() - started,
            "load_average_after": os.getloadavg()[0],
            "benches": [kept[name] for name in BENCHES if name in kept], "budgets": budgets}


# ------------------------------------------------------------------------------------------
# Rendering: Markdown
# ------------------------------------------------------------------------------------------

def number(x: float | None) -> str:
    if x is None:
        return "–"
    return f"{x:.1f}" if abs(x) >= 10 else f"{x:.2f}"


def target_text(row: dict) -> str:
    if row.get("target") is None:
        return ""
    return ("≤ " if row.get("lower_is_better") else "≥ ") + number(row["target"])


def verdict_of(row: dict) -> str:
    """The bench's own verdict; a targeted row that gave none is judged here."""
    return row.get("verdict") or report.verdict(row.get("ratio"), row.get("target"), row.get("lower_is_better", False))


def cell(text) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def md_table(header: list[str], rows: list[list]) -> list[str]:
    return ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|",
            *("| " + " | ".join(cell(c) for c in r) + " |" for r in rows)]


def counts(bench: dict) -> tuple[int, int]:
    verdicts = [verdict_of(r) for r in bench.get("rows", [])]
    return verdicts.count("PASS"), verdicts.count("MISS")


def load_text(load: float | None) -> str:
    return "?" if load is None else f"{load:.2f}"


def render_markdown(doc: dict, *, tails: bool = True) -> str:
    """latest.md; without ``tails`` (the README's copy) a bench that did not run shows only why."""
    head = (f"commit {doc.get('commit', '?')} · {doc.get('machine', '?')} · "
            f"generated {doc.get('generated', '?')}")
    lines = ["# `make bench` results", "",
             f"{head}; short (`--quick`) runs; {number(doc.get('seconds'))} s in all.", "",
             "## Summary", ""]
    summary = []
    for bench in doc.get("benches", []):
        passed, missed = counts(bench)
        ran = bench.get("status") != "did not run"
        summary.append([bench["bench"], bench.get("store", "–") if ran else "–",
                        "ran" if ran else f"did not run: {bench.get('reason', '')}",
                        passed if ran else "–", missed if ran else "–", number(bench.get("seconds"))])
    budgets = doc.get("budgets")
    if budgets:
        verdicts = [r["verdict"] for r in budgets["rows"]]
        summary.append(["budgets (store commands)", budgets.get("store", "?"), "ran",
                        verdicts.count("PASS"), verdicts.count("MISS"), "–"])
    lines += md_table(["bench", "store", "status", "PASS", "MISS", "seconds"], summary)
    for bench in doc.get("benches", []):
        lines += ["", f"## {bench['bench']}", ""]
        if bench.get("status") == "did not run":
            lines += [f"**Did not run**: {bench.get('reason', '')}."]
            if tails:
                lines[-1] += " The tail of its output:"
                lines += ["", "```", bench.get("tail", "") or "(no output)", "```"]
            continue
        lines += [f"Store: **{bench.get('store', '?')}** · commit {bench.get('commit', '?')} · "
                  f"{doc.get('machine', '?')} · 1-min load average {load_text(bench.get('load_average'))} "
                  f"before it · finished {bench.get('finished', '?')}", ""]
        rows = [[r["row"], r["value"], number(r.get("cpu_ms_per_op")), number(r.get("baseline_cpu_ms_per_op")),
                 number(r.get("ratio")), target_text(r), verdict_of(r)] for r in bench["rows"]]
        lines += md_table(["row", "value", "cpu ms/op", "baseline cpu ms/op", "ratio", "target", "verdict"], rows)
        if bench.get("notes"):
            lines += ["", *(f"- {cell(n)}" for n in bench["notes"])]
    if budgets:
        lines += ["", "## Budgets: store commands per operation (bench/budgets.toml)", "",
                  f"Store: **{budgets.get('store', '?')}** · commit {doc.get('commit', '?')} · "
                  f"{doc.get('machine', '?')} · 1-min load average {load_text(budgets.get('load_average'))} · "
                  f"pytest: {budgets.get('pytest_summary', '')}", ""]
        rows = [[f"{r['operation']} (`{r['id']}`)", r["budget"], "not measured" if r["measured"] is None else
                 f"{r['measured']:g}" + (f" (over {r['amortised_over']})" if (r.get("amortised_over") or 1) > 1 else ""),
                 ", ".join(f"{k} {v:g}" for k, v in sorted(r["by_kind"].items())), r["verdict"] or "–"]
                for r in budgets["rows"]]
        lines += md_table(["operation", "budget", "measured", "by kind", "verdict"], rows)
    return "\n".join(lines) + "\n"


# ------------------------------------------------------------------------------------------
# Rendering: the chart
# ------------------------------------------------------------------------------------------

def score(row: dict) -> float:
    """How far a row is along to its target: 1 meets it exactly, more is better, whichever way
    the row is judged (rows on different scales - ratios, milliseconds - share one axis)."""
    ratio, target = row.get("ratio"), row["target"]
    if ratio is None:
        return 0.0
    if row.get("lower_is_better"):
        return target / ratio if ratio > 0 else float("inf")
    return ratio / target if target else float("inf")


def render_chart(doc: dict, path: Path) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    targeted = [(b["bench"], r) for b in doc.get("benches", []) for r in b.get("rows", [])
                if r.get("target") is not None]
    budgets = [r for r in (doc.get("budgets") or {}).get("rows", []) if r["measured"] is not None]
    heights = [max(1, len(targeted)), max(1, len(budgets))]
    fig, axes = plt.subplots(2, 1, figsize=(11, 1.6 + 0.32 * sum(heights)),
                             gridspec_kw={"height_ratios": heights})
    colours = {"PASS": "#2e7d32", "MISS": "#c62828"}
    cap = 3.0

    ax = axes[0]
    labels = [f"{bench}: {row['row'][:72]}" for bench, row in targeted]
    values = [min(score(row), cap) for _, row in targeted]
    ax.barh(range(len(targeted)), values, color=[colours.get(verdict_of(r), "#9e9e9e") for _, r in targeted])
    for i, (_, row) in enumerate(targeted):
        ax.text(values[i] + 0.03, i, f"{number(row.get('ratio'))} (target {target_text(row)}) {verdict_of(row)}",
                va="center", fontsize=7)
    ax.axvline(1.0, color="black", linestyle="--", linewidth=1)
    ax.set_yticks(range(len(targeted)), labels, fontsize=7)
    ax.invert_yaxis()
    ax.set_xlim(0, cap + 0.8)
    ax.set_xlabel("ratio ÷ target (target ÷ value for lower-is-better rows): the dashed line is the target, "
                  f"right of it PASS; capped at {cap:g}", fontsize=8)
    # The store's name and version (a label's details in brackets are in latest.md).
    stores = sorted({b.get("store", "?").split(" (")[0] for b in doc.get("benches", [])
                     if b.get("status") != "did not run"})
    ax.set_title(f"Bench rows against their targets · store: {'; '.join(stores) or '?'} · commit {doc.get('commit', '?')}",
                 fontsize=9)
    if not targeted:
        ax.text(0.5, 0.5, "no targeted rows ran", transform=ax.transAxes, ha="center")

    ax = axes[1]
    ax.barh(range(len(budgets)), [r["measured"] for r in budgets],
            color=[colours.get(r["verdict"], "#9e9e9e") for r in budgets])
    ax.scatter([r["budget"] for r in budgets], range(len(budgets)), marker="|", s=300, linewidths=2,
               color="black", zorder=3)
    ax.set_xlim(0, 1.15 * max([1, *(max(r["budget"], r["measured"]) for r in budgets)]))
    ax.set_yticks(range(len(budgets)), [r["id"] for r in budgets], fontsize=7)
    ax.invert_yaxis()
    ax.set_xlabel("store commands per operation (bar: measured; tick: budget)", fontsize=8)
    ax.set_title(f"Budgets · store: {(doc.get('budgets') or {}).get('store', '?').split(' (')[0]} (counts of "
                 "commands: the same on MongoDB)", fontsize=9)
    if not budgets:
        ax.text(0.5, 0.5, "no budget measured", transform=ax.transAxes, ha="center")
    fig.text(0.01, 0.005, f"{doc.get('machine', '?')} · {doc.get('generated', '?')} · --quick runs",
             fontsize=6, color="#555555")
    fig.tight_layout(rect=(0, 0.015, 1, 1))
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110, bbox_inches="tight")  # long row names stay inside the picture
    plt.close(fig)


def render(doc: dict, results: Path = RESULTS) -> None:
    (results / "latest.md").write_text(render_markdown(doc), encoding="utf-8")
    render_chart(doc, results / "latest.png")


README_BEGIN, README_END = "<!-- make bench: begin -->", "<!-- make bench: end -->"


def into_readme(readme: str, markdown: str) -> str:
    """``readme`` with the text between its two `make bench` markers replaced by ``markdown``,
    its title left out and its headings one level down (under the README's own section)."""
    begin, end = readme.index(README_BEGIN) + len(README_BEGIN), readme.index(README_END)
    lines, fenced = [], False
    for line in markdown.splitlines()[1:]:
        fenced ^= line.startswith("```")  # a bench's output may have lines that start with "#"
        lines.append("#" + line if line.startswith("#") and not fenced else line)
    return readme[:begin] + "\n" + "\n".join(lines).strip() + "\n" + readme[end:]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", action="append", choices=[*BENCHES, "budgets"],
                        help="run only this bench (repeatable; 'budgets' for the budget tests)")
    parser.add_argument("--render", action="store_true", help="only re-render latest.md and latest.png")
    parser.add_argument("--readme", action="store_true",
                        help="only copy latest.json's tables into README.md's performance section (between "
                             "its markers; a bench that did not run without its output's tail)")
    args = parser.parse_args(argv)
    latest = RESULTS / "latest.json"
    previous = json.loads(latest.read_text(encoding="utf-8")) if latest.exists() else None
    if args.render:
        if previous is None:
            parser.error(f"{latest.relative_to(ROOT)} does not exist yet: run without --render first")
        render(previous)
        return 0
    if args.readme:
        if previous is None:
            parser.error(f"{latest.relative_to(ROOT)} does not exist yet: run without --readme first")
        readme = ROOT / "README.md"
        readme.write_text(into_readme(readme.read_text(encoding="utf-8"), render_markdown(previous, tails=False)),
                          encoding="utf-8")
        return 0
    RESULTS.mkdir(parents=True, exist_ok=True)
    only = args.only or [*BENCHES, "budgets"]
    doc = gather([n for n in BENCHES if n in only], "budgets" in only, previous if args.only else None)
    latest.write_text(json.dumps(doc, indent=2, ensure_ascii=False), encoding="utf-8")
    render(doc)
    say(f"wrote {latest.relative_to(ROOT)}, latest.md and latest.png in {doc['seconds']:.0f}s")
    print((RESULTS / "latest.md").read_text(encoding="utf-8"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
