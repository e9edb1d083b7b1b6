"""bench/run.py (`make bench`) without running a bench: a small results document becomes the
Markdown tables with PASS/MISS and a PNG chart, and a bench that writes no JSON is "did not run"
with its reason and the tail of its output."""
from __future__ import annotations

import json
from dataclasses import asdict

from bench import report, run
from bench.report import Result

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def bench_document(name: str, rows: list[Result]) -> dict:
    return {"bench": name, "store": "SecantusDB 0.7.0b3 (local, in-memory)", "commit": "abc1234", "quick": True,
            "finished": "2026-12-06T01:00:00Z", "rows": [asdict(r) for r in rows], "notes": ["a note"],
            "status": "ran", "seconds": 12.0, "load_average": 1.5}


def synthetic() -> dict:
    rows = [
        Result("GET member", "900/s", ratio=0.62, target=0.6, verdict="PASS", baseline="1,450/s /ping",
               unit="req/s", cpu_ms_per_op=1.25, baseline_cpu_ms_per_op=0.8),
        Result("registration", "120/s", ratio=0.31, target=0.5, verdict="MISS", unit="req/s"),
        # A targeted row whose bench gave no verdict is judged by the renderer.
        Result("search p99", "140.0 ms", ratio=140.0, target=100.0, unit="ms p99", lower_is_better=True),
        Result("  bare /ping", "1,450/s", unit="req/s", cpu_ms_per_op=0.8),
    ]
    budgets = run.budget_rows({"members.get_member": {"commands": 2, "by_kind": {"find": 2},
                                                      "amortised_over": 1, "budget": 1}}, "1 failed", 1, 0.5)
    return {"generated": "2026-12-06T01:00:00Z", "commit": "abc1234", "machine": "2 cores (test)", "seconds": 60.0,
            "benches": [bench_document("members", rows),
                        run.did_not_run("events", "timed out after 120s", "line 1\nthe last line", 120.0)],
            "budgets": budgets}


def table_row(markdown: str, first_cell: str) -> list[str]:
    for line in markdown.splitlines():
        cells = [c.strip() for c in line.strip("|").split(" | ")]
        if cells[0] == first_cell:
            return cells
    raise AssertionError(f"no row {first_cell!r} in:\n{markdown}")


def test_the_markdown_has_each_row_with_its_ratio_target_and_verdict_under_its_store():
    markdown = run.render_markdown(synthetic())
    assert table_row(markdown, "GET member") == ["GET member", "900/s", "1.25", "0.80", "0.62", "≥ 0.60", "PASS"]
    assert table_row(markdown, "registration")[-3:] == ["0.31", "≥ 0.50", "MISS"]
    assert table_row(markdown, "search p99")[-3:] == ["140.0", "≤ 100.0", "MISS"]
    assert table_row(markdown, "bare /ping")[-1] == ""  # information only
    assert "Store: **SecantusDB 0.7.0b3 (local, in-memory)** · commit abc1234" in markdown
    assert table_row(markdown, "members")[3:5] == ["1", "2"]  # the summary: 1 PASS, 2 MISS


def test_the_budget_table_shows_every_budget_row_measured_or_not():
    markdown = run.render_markdown(synthetic())
    measured = table_row(markdown, "GET /members/<id> as a verified member (`members.get_member`)")
    assert measured[1:] == ["1", "2", "find 2", "MISS"]
    rows = [line for line in markdown.split("## Budgets", 1)[1].splitlines() if line.startswith("| ")]
    assert len(rows) - 1 == len(run.budget_rows({})["rows"])  # the header, then one line per budget
    assert "SecantusDB" in markdown.split("## Budgets", 1)[1].splitlines()[2]


def test_a_bench_that_did_not_run_says_why_with_the_tail_of_its_output():
    markdown = run.render_markdown(synthetic())
    section = markdown.split("## events", 1)[1]
    assert "**Did not run**: timed out after 120s" in section and "the last line" in section
    assert table_row(markdown, "events")[2] == "did not run: timed out after 120s"


def test_the_chart_is_a_png(tmp_path):
    run.render(synthetic(), tmp_path)
    assert (tmp_path / "latest.png").read_bytes()[:8] == PNG_SIGNATURE
    assert "| registration |" in (tmp_path / "latest.md").read_text(encoding="utf-8")


def test_a_bench_that_writes_no_json_did_not_run(tmp_path):
    script = tmp_path / "nojson.py"
    script.write_text("import sys\nprint('usage: unrecognized arguments: --json', file=sys.stderr)\nsys.exit(2)\n")
    record = run.run_bench("nojson", 30, tmp_path, script)
    assert record["status"] == "did not run"
    assert record["reason"].startswith("exit code 2 and wrote no JSON")
    assert "unrecognized arguments: --json" in record["tail"]
    assert "nojson" in run.render_markdown({"benches": [record]})


def test_a_bench_that_writes_its_json_is_taken_as_written(tmp_path):
    script = tmp_path / "writes.py"
    script.write_text(
        f"import sys\nsys.path.insert(0, {str(run.ROOT)!r})\nfrom bench import report\n"
        "report.write(sys.argv[sys.argv.index('--json') + 1], 'writes', 'MongoDB 8.0 (external)',\n"
        "             [report.Result('row', '1/s', ratio=1.0, target=0.5, verdict='PASS')], quick=True)\n")
    record = run.run_bench("writes", 60, tmp_path, script)
    assert record["status"] == "ran" and record["exit_code"] == 0
    assert record["store"] == "MongoDB 8.0 (external)"
    assert [r["verdict"] for r in record["rows"]] == ["PASS"]
    assert json.loads((tmp_path / "writes.json").read_text())["bench"] == "writes"


def test_the_verdicts_agree_with_bench_report():
    assert run.verdict_of({"ratio": 0.5, "target": 0.5}) == report.verdict(0.5, 0.5) == "PASS"
    assert run.verdict_of({"ratio": 26.0, "target": 25.0, "lower_is_better": True}) == "MISS"
    assert run.score({"ratio": None, "target": 0.5}) == 0.0


def test_a_bench_whose_json_is_not_in_bench_reports_shape_did_not_run(tmp_path):
    script = tmp_path / "oldshape.py"
    script.write_text("import json, sys\nopen(sys.argv[sys.argv.index('--json') + 1], 'w').write("
                      "json.dumps({'rows': [['GET member', '900/s']]}))\n")
    record = run.run_bench("oldshape", 30, tmp_path, script)
    assert record["status"] == "did not run"
    assert record["reason"] == f"exited 0 and wrote no JSON at {tmp_path / 'oldshape.json'} (or not in bench/report.py's shape)"


def test_the_readme_gets_the_tables_between_its_markers_under_its_own_heading():
    readme = f"# Title\n\n## Performance\n\nWhy.\n\n{run.README_BEGIN}\nold table\n{run.README_END}\n\n## Next\n"
    updated = run.into_readme(readme, run.render_markdown(synthetic()))
    assert "old table" not in updated and updated.endswith(f"{run.README_END}\n\n## Next\n")
    assert "\n### Summary\n" in updated and "\n### members\n" in updated
    assert "`make bench` results" not in updated  # the section's own heading stands for the title
    assert run.into_readme(updated, run.render_markdown(synthetic())) == updated


def test_a_hash_in_a_benchs_output_is_no_heading_in_the_readme():
    document = {"benches": [run.did_not_run("awards", "exit code 1", "# not a heading\nTraceback")]}
    updated = run.into_readme(f"{run.README_BEGIN}\n{run.README_END}\n", run.render_markdown(document))
    assert "\n# not a heading\n" in updated and "\n### awards\n" in updated


def test_the_readmes_copy_says_why_a_bench_did_not_run_without_its_output():
    markdown = run.render_markdown(synthetic(), tails=False)
    assert "**Did not run**: timed out after 120s." in markdown and "the last line" not in markdown
