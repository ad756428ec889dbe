"""`course bench` runs end to end on a tiny configuration and writes what it promises.

No timing assertions here: a loaded 2-core machine makes any speedup claim
flaky. The performance targets are printed by the benchmark itself, never
asserted by a test.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import struct
import zlib

import pytest

from course import bench
from course.cli import main as course_main

TINY = [
    "--backends", "serial,threads,processes",
    "--workers", "2",
    "--repeats", "1",
    "--cpu-tasks", "4",
    "--task-seconds", "0.01",
    "--tiny-items", "2000",
    "--io-tasks", "4",
    "--io-seconds", "0.005",
    "--no-progress",
]


def read_png_size(path) -> tuple[int, int]:
    """Width and height from a PNG's IHDR, after checking the signature and the chunk's CRC."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", f"{path} does not start with the PNG signature: {data[:8]!r}"
    length, kind = struct.unpack(">I4s", data[8:16])
    assert kind == b"IHDR" and length == 13, f"{path}: first chunk is {kind!r} of {length} bytes, expected IHDR of 13"
    body = data[16:16 + length]
    (crc,) = struct.unpack(">I", data[16 + length:20 + length])
    assert zlib.crc32(kind + body) == crc, f"{path}: IHDR checksum does not match"
    assert data.rstrip(b"\x00").endswith(b"IEND\xaeB`\x82"), f"{path} has no IEND chunk: the file is truncated"
    return struct.unpack(">II", body[:8])


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory):
    """One tiny benchmark run shared by the tests below: (exit code, results, json path, png path)."""
    out = tmp_path_factory.mktemp("bench")
    json_path, png_path = out / "bench.json", out / "bench.png"
    code = course_main(["bench", *TINY, "--json", str(json_path), "--plot", str(png_path)])
    return code, json.loads(json_path.read_text()), json_path, png_path


def test_a_tiny_run_exits_0_and_measures_every_backend_on_every_workload(tiny_run):
    code, results, _, _ = tiny_run
    errors = [(r["workload"], r["runner"], r["workers"], r["error"]) for r in results["measurements"] if r["error"]]
    assert code == 0 and not errors, f"course bench exited {code}; measurements that failed: {errors}"
    measured = {(r["workload"], r["runner"], r["workers"]) for r in results["measurements"]}
    expected = set()
    for workload in ("cpu", "tiny", "io"):
        expected |= {(workload, bench.SERIAL, 2), (workload, bench.POOL, 2), (workload, "serial", 2),
                     (workload, "threads", 2), (workload, "processes", 2)}
    # the speedup curve: cpu also at 1 worker, next to its own serial loop; the serial backend runs once
    expected |= {("cpu", bench.SERIAL, 1), ("cpu", bench.POOL, 1), ("cpu", "threads", 1), ("cpu", "processes", 1)}
    assert measured == expected, f"measured {sorted(measured)}, expected {sorted(expected)}"


def test_the_json_holds_machine_facts_raw_times_and_derived_numbers(tiny_run):
    _, results, _, _ = tiny_run
    machine = results["machine"]
    for key in ("cpu_count", "python", "date", "platform"):
        assert machine.get(key), f"machine info lacks {key!r}: {machine}"
    assert machine["cpu_count"] == multiprocessing.cpu_count()
    assert results["config"]["repeats"] == 1 and results["config"]["worker_counts"] == [1, 2]
    assert results["calibration"]["spin_n_for_task_seconds"] > 0
    assert set(results["workloads"]) == {"cpu", "tiny", "io"}
    assert results["workloads"]["tiny"]["items"] == 2000
    for row in results["measurements"]:
        where = f"{row['workload']} / {row['runner']} x{row['workers']}"
        assert len(row["times"]) == 1 and all(t > 0 for t in row["times"]), f"{where}: raw times {row['times']}"
        assert row["median"] == row["times"][0], f"{where}: median {row['median']} of {row['times']}"
        serial = results["serial_seconds"][row["workload"]][str(row["workers"])]
        assert row["speedup"] == pytest.approx(serial / row["median"]), where
        if row["runner"] != bench.SERIAL:
            assert row["efficiency"] == pytest.approx(row["speedup"] / row["workers"]), where
        if row["runner"] not in (bench.SERIAL, bench.POOL):
            pool = next(r for r in results["measurements"]
                        if (r["workload"], r["runner"], r["workers"]) == (row["workload"], bench.POOL, row["workers"]))
            assert row["vs_pool"] == pytest.approx(row["median"] / pool["median"]), where
    chunks = {r["workload"]: r["chunksize"] for r in results["measurements"] if r["runner"] == bench.POOL and r["workers"] == 2}
    assert chunks["tiny"] == 250, f"Pool.map on 2,000 tiny items with 2 workers: chunksize {chunks['tiny']}, expected 250"


def test_targets_are_reported_not_asserted(tiny_run):
    _, results, _, _ = tiny_run
    targets = {(t["workload"], t["runner"]) for t in results["targets"]}
    assert targets == {("cpu", "processes"), ("tiny", "processes")}, f"targets reported: {targets}"
    for target in results["targets"]:
        assert target["met"] in (True, False), f"target {target} has no verdict"


def test_the_speedup_curve_has_one_line_per_runner_over_every_worker_count(tiny_run):
    _, results, _, _ = tiny_run
    curve = results["curve"]
    assert curve["workers"] == [1, 2]
    assert set(curve["speedups"]) == {bench.POOL, "serial", "threads", "processes"}
    for name, values in curve["speedups"].items():
        assert len(values) == 2 and all(v and v > 0 for v in values), f"{name}: {values}"


def test_the_plot_is_a_valid_png(tiny_run):
    _, _, _, png_path = tiny_run
    width, height = read_png_size(png_path)
    assert width >= 400 and height >= 300, f"the speedup plot is {width}x{height} pixels"
    import matplotlib.pyplot as plt

    assert plt.imread(png_path).shape[:2] == (height, width)


def test_quick_uses_fewer_items_and_repeats_than_the_default():
    parser = argparse.ArgumentParser()
    bench.add_arguments(parser)
    full = bench.config_from_args(parser.parse_args(["--workers", "4"]))
    quick = bench.config_from_args(parser.parse_args(["--workers", "4", "--quick"]))
    assert full.backends == list(bench.ALL_BACKENDS)
    assert full.worker_counts == [1, 2, 3, 4] and quick.worker_counts == [1, 4]
    assert quick.repeats < full.repeats and quick.repeats >= 3
    assert quick.cpu_tasks < full.cpu_tasks and quick.io_tasks < full.io_tasks


def test_an_unknown_workload_is_refused_with_its_name():
    with pytest.raises(ValueError, match="bogus"):
        bench.Config.full(workloads=["cpu", "bogus"])


@pytest.mark.parametrize("items, workers", [(100_000, 2), (20, 2), (7, 3), (1, 8), (0, 2)])
def test_pool_chunksize_is_what_pool_map_would_choose(items, workers):
    chunksize, extra = divmod(items, workers * 4)  # multiprocessing.pool.Pool._map_async
    if extra:
        chunksize += 1
    assert bench.pool_chunksize(items, workers) == max(chunksize, 1)


def test_the_traced_workload_says_who_ran_it_and_when():
    from course.workloads import spin

    result, pid, start, end = bench.traced_spin(1000)
    assert result == spin(1000) and pid > 0 and end >= start


def test_targets_come_from_one_table_whose_text_follows_its_numbers():
    target = bench.Target("cpu", "processes", speedup=1.8, vs_pool=1.05)
    assert "1.8" in target.text and "1.05" in target.text
    row = {"speedup": 1.9, "vs_pool": 1.0}
    assert target.met(row) and not target.met({**row, "speedup": 1.7}) and not target.met({**row, "vs_pool": 1.2})
    assert len({(t.workload, t.runner, t.broker) for t in bench.TARGETS}) == len(bench.TARGETS), "one entry per target"


def test_the_dmap_is_loaded_from_a_tree_by_path_never_as_the_solutions_package(tmp_path):
    import sys

    (tmp_path / "ch07_capstone").mkdir()
    (tmp_path / "ch07_capstone" / "dmap.py").write_text("def dmap(fn, items, **options):\n    return ['from', 'the', 'tree']\n")
    assert bench.import_dmap(str(tmp_path))(abs, [1]) == ["from", "the", "tree"]
    imported_before = "solutions" in sys.modules
    reference = bench.import_dmap()
    assert reference.__module__ != "solutions.ch07_capstone.dmap" and ("solutions" in sys.modules) == imported_before
    assert reference(abs, [-1, 2], backend="serial") == [1, 2]
