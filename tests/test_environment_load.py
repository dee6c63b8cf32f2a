"""OtherCpuLoad: CPU time of other processes during a block, separated from this process's own."""

import itertools

from strbench import environment


def test_other_cpu_load_subtracts_own_time_and_reports_steal(monkeypatch):
    busy = iter([(100.0, 5.0), (106.0, 5.5)])  # machine: 6 s busy, 0.5 s stolen
    own = iter([10.0, 14.0])  # this process and its children: 4 s
    clock = itertools.count(start=0.0, step=2.0)  # the block lasts 2 s
    monkeypatch.setattr(environment, "_busy_cpu_seconds", lambda: next(busy))
    monkeypatch.setattr(environment, "_own_cpu_seconds", lambda: next(own))
    monkeypatch.setattr(environment.time, "perf_counter", lambda: next(clock))
    with environment.OtherCpuLoad() as load:
        pass
    assert load.as_dict() == {"wall_s": 2.0, "other_cpu_cores": 1.0, "steal_cores": 0.25, "contended": True}
    assert load.contended(threshold_cores=1.5) is False


def test_other_cpu_load_quiet_machine_and_missing_proc(monkeypatch):
    busy = iter([(50.0, 0.0), (53.9, 0.0)])
    own = iter([1.0, 5.0, 5.0, 5.0])  # own time can exceed the machine's busy delta by rounding: clamp at 0
    monkeypatch.setattr(environment, "_busy_cpu_seconds", lambda: next(busy))
    monkeypatch.setattr(environment, "_own_cpu_seconds", lambda: next(own))
    with environment.OtherCpuLoad() as load:
        pass
    assert load.other_cpu_cores == 0.0 and load.contended() is False

    monkeypatch.setattr(environment, "_busy_cpu_seconds", lambda: None)
    with environment.OtherCpuLoad() as load:
        pass
    assert load.as_dict()["other_cpu_cores"] is None and load.contended() is None
