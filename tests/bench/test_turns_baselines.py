"""bench.turns compares like with like: stock Rasa at scale has Redis stores, pairs match."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.turns import report
from bench.turns.options import Options
from bench.turns.runner import HIGH_LATENCY, Bench, baseline, high_rate_keys
from bench.turns.stats import Summary
from bench.turns.systems import BenchError, StockRasa, stock_scale_endpoints


def test_stock_at_scale_uses_redis_for_locks_and_trackers_with_a_usable_prefix() -> None:
    endpoints = stock_scale_endpoints("redis://:pw@10.0.0.7:6380/12", "stockscale42")
    for store in ("lock_store", "tracker_store"):
        config = endpoints[store]
        assert config["type"] == "redis" and config["key_prefix"] == "stockscale42"
        assert (config["url"], config["port"], config["db"]) == ("10.0.0.7", 6380, 12)
        assert config["password"] == "pw"
    with pytest.raises(BenchError):  # a prefix Rasa would silently ignore
        stock_scale_endpoints("redis://127.0.0.1:6379/12", "stock-scale")


def test_each_profile_is_compared_with_its_own_kind_of_stock() -> None:
    assert baseline("embedded/gateway") == "stock/rest"
    assert baseline("scale/gateway") == baseline("scale-pg/rest") == "stock-scale/rest"
    assert baseline("stock/rest") is None and baseline("stock-scale/rest") is None


def _run(throughput: float, cpu: float) -> list[Summary]:
    return [Summary(turns=100, errors=0, throughput=throughput, cpu_ms={"rasa": cpu})]


def test_the_verdict_pairs_embedded_with_stock_and_scale_with_stock_scale() -> None:
    bench = Bench(Options(), StockRasa(Path("model.tar.gz")))
    bench.results["capacity"] = {
        "stock/rest": _run(10.0, 30.0),
        "stock-scale/rest": _run(40.0, 36.0),
        "embedded/gateway": _run(35.0, 9.0),
        "scale/gateway": _run(80.0, 15.0),
    }
    lines = report.verdict(bench)
    embedded = next(line for line in lines if line.startswith("- Capacity") and "embedded" in line)
    scale = next(line for line in lines if line.startswith("- Capacity") and "scale" in line)
    assert "3.50×" in embedded and "yes" in embedded  # 35 / 10 against stock, one process
    assert "2.00×" in scale and "**no**" in scale  # 80 / 40 against stock at scale, not 8×
    cpu = [line for line in lines if line.startswith("- CPU per turn,")]
    assert any("0.30×" in line and "yes" in line for line in cpu)  # 9 / 30
    assert any("0.42×" in line and "**no**" in line for line in cpu)  # 15 / 36


def _latency(p99: float, errors: int = 0) -> list[Summary]:
    return [Summary(turns=100, errors=errors, throughput=50.0, p99_ms=p99)]


def test_the_high_rate_runs_on_the_scale_profiles_and_is_judged_on_their_p99() -> None:
    keys = ["stock/rest", "stock-scale/rest", "embedded/gateway", "scale/gateway", "scale/rest",
            "scale-pg/gateway", "scale-pg/rest"]  # fmt: skip
    assert high_rate_keys(keys) == ["stock-scale/rest", "scale/gateway", "scale-pg/gateway"]
    bench = Bench(Options(), StockRasa(Path("model.tar.gz")))
    bench.results["capacity"] = {"stock-scale/rest": _run(40.0, 36.0), "scale/gateway": _run(80, 9)}
    assert not any("turns/s, scale" in line for line in report.verdict(bench))  # not run
    bench.results[HIGH_LATENCY] = {
        "stock-scale/rest": _latency(900.0),  # stock's own p99 is not judged
        "scale/gateway": _latency(120.0),
        "scale-pg/gateway": _latency(380.0),
    }
    line = report.verdict(bench)[-1]
    assert line.startswith("- Latency at 50 turns/s") and line.endswith("yes).")
    assert "380 ms" in line and "900" not in line
    assert "### Latency: 50 turns/s" in "\n".join(report.high_rate_section(bench))
    bench.results[HIGH_LATENCY]["scale-pg/gateway"] = _latency(450.0)
    assert report.verdict(bench)[-1].endswith("**no**).")
    bench.results[HIGH_LATENCY]["scale-pg/gateway"] = _latency(200.0, errors=3)
    assert "(3 errors)" in report.verdict(bench)[-1]
    assert report.verdict(bench)[-1].endswith("**no**).")
