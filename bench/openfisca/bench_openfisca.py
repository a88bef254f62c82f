"""The 20 clauses of policies/gaoxin20.rules as a small OpenFisca tax-benefit system.

Run by the Rust benchmark (crates/zhengwu-rules/examples/bench.rs), which generates the
enterprises, writes them to DIR as raw little-endian columns with a manifest.json, and reads
the last line this script prints (JSON: time per clause, eligible count and total amount per
clause, so both engines are checked to give the same answers on the same data).

    python bench_openfisca.py DIR [REPS]

Modelling choices, each the plain OpenFisca way:
- one person entity, the enterprise; inputs are OpenFisca variables (money in yuan: OpenFisca
  floats are float32), enumerations are int codes, dates are OpenFisca dates;
- OpenFisca has no "unknown": each input that can be missing has a boolean `<name>_known`
  variable, and each clause computes a three-valued status (0 no, 1 yes, 2 unknown, 3 conflict)
  by hand with the same rules as zhengwu-rules, then its amount;
- dated parameters are OpenFisca parameters; the marginal brackets are a MarginalRateTaxScale
  and the flat ones SingleAmountTaxScale;
- the patent list is given pre-aggregated (invention and utility-model counts per enterprise):
  a list would need a second entity in OpenFisca. zhengwu-rules aggregates the list itself.
"""

import datetime
import json
import sys
import time
from importlib.metadata import version
from pathlib import Path

import numpy as np
from openfisca_core.entities import build_entity
from openfisca_core.parameters import ParameterNode
from openfisca_core.periods import DateUnit
from openfisca_core.simulations import SimulationBuilder
from openfisca_core.taxbenefitsystems import TaxBenefitSystem
from openfisca_core.variables import Variable

PERIOD = "2024-06"
EVAL = np.datetime64("2024-06-30", "D")
CE_1970 = 719_163  # chrono's num_days_from_ce for 1970-01-01

Enterprise = build_entity(key="enterprise", plural="enterprises", label="企业", is_person=True)

VALUE_TYPES = {"money": float, "num": float, "bool": bool, "enum": int, "date": datetime.date, "count": int}


def dated(v):
    return {"values": {"2021-01-01": v}}


PARAMETERS = {
    "gx": {
        "rd_intensity_min": dated(0.03),
        "rd_rate": {"values": {"2021-01-01": 0.10, "2024-01-01": 0.12}},
        "rd_cap": {"values": {"2021-01-01": 3_000_000, "2024-01-01": 5_000_000}},
        "hte_first": {"values": {"2021-01-01": 300_000, "2023-01-01": 500_000}},
        "hte_renew": dated(100_000),
        "rent_rate": dated(0.5),
        "equity_scale": {
            "brackets": [
                {"threshold": {"2021-01-01": {"value": 0}}, "rate": {"2021-01-01": {"value": 0.01}}},
                {"threshold": {"2021-01-01": {"value": 50_000_000}}, "rate": {"2021-01-01": {"value": 0.005}}},
                {"threshold": {"2021-01-01": {"value": 100_000_000}}, "rate": {"2021-01-01": {"value": 0.002}}},
            ]
        },
        "tax_scale": {
            "metadata": {"type": "single_amount"},
            "brackets": [
                {"threshold": {"2021-01-01": {"value": 5_000_000}, "2024-01-01": {"value": 3_000_000}},
                 "amount": {"2021-01-01": {"value": 200_000}, "2024-01-01": {"value": 100_000}}},
                {"threshold": {"2021-01-01": {"value": 10_000_000}, "2024-01-01": {"value": 5_000_000}},
                 "amount": {"2021-01-01": {"value": 500_000}, "2024-01-01": {"value": 200_000}}},
                {"threshold": {"2021-01-01": {"value": 50_000_000}, "2024-01-01": {"value": 10_000_000}},
                 "amount": {"2021-01-01": {"value": 1_000_000}, "2024-01-01": {"value": 500_000}}},
                {"threshold": {"2024-01-01": {"value": 50_000_000}},
                 "amount": {"2024-01-01": {"value": 1_200_000}}},
            ],
        },
        "rd_lead_scale": {
            "metadata": {"type": "single_amount"},
            "brackets": [
                {"threshold": dated_v, "amount": amt}
                for dated_v, amt in [
                    ({"2021-01-01": {"value": 5_000_000}}, {"2021-01-01": {"value": 200_000}}),
                    ({"2021-01-01": {"value": 20_000_000}}, {"2021-01-01": {"value": 500_000}}),
                    ({"2021-01-01": {"value": 50_000_000}}, {"2021-01-01": {"value": 1_000_000}}),
                ]
            ],
        },
    }
}

TECH = np.array([1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0], dtype=bool)  # 行业代码 in declaration order


# ---------- three-valued helpers: a condition is (value, known) ----------

def T(v, k=True):
    return (np.asarray(v, dtype=bool), k)


def AND(a, b):
    (va, ka), (vb, kb) = a, b
    fa, fb = np.logical_and(ka, ~va), np.logical_and(kb, ~vb)
    both = np.logical_and(ka, kb)
    return (both & va & vb, fa | fb | both)


def OR(a, b):
    (va, ka), (vb, kb) = a, b
    ta, tb = np.logical_and(ka, va), np.logical_and(kb, vb)
    return (ta | tb, ta | tb | np.logical_and(ka, kb))


def status(n, *conds):
    no = np.zeros(n, dtype=bool)
    unk = np.zeros(n, dtype=bool)
    for v, k in conds:
        no |= np.logical_and(k, ~v)
        unk |= ~np.asarray(k, dtype=bool) if not isinstance(k, bool) else (not k)
    return np.where(no, 0, np.where(unk, 2, 1)).astype(np.int8)


def resolve(st, groups):
    """Catala-style exceptions, as zhengwu-rules: groups of equal priority, highest first; each
    exception is (cond, eligible_override or None). Returns (status, applied index or -1)."""
    n = st.shape[0]
    decided = np.zeros(n, dtype=bool)
    applied = np.full(n, -1, dtype=np.int8)
    maybe = np.zeros(n, dtype=bool)
    conflict = np.zeros(n, dtype=bool)
    any_grant = any(e[1] is True for g in groups for e in g)
    idx = 0
    for group in groups:
        trues = np.zeros(n, dtype=np.int8)
        unk = np.zeros(n, dtype=bool)
        for (v, k), _ in group:
            trues += np.logical_and(k, v)
            unk |= ~np.broadcast_to(k, (n,))
        und = ~decided
        c = und & (trues >= 2)
        m = und & ~c & unk
        conflict |= c
        maybe |= m
        decided |= c | m
        for (v, k), _ in group:
            a = ~decided & np.logical_and(k, v)
            applied[a] = idx
            decided |= a
            idx += 1
    st = np.where(conflict, 3, st)
    st = np.where(maybe & ((st != 0) | any_grant), 2, st).astype(np.int8)
    k = 0
    for group in groups:
        for _, override in group:
            if override is not None:
                st = np.where(applied == k, int(override), st).astype(np.int8)
            k += 1
    return st, applied


def fen(x):
    """Yuan → whole fen, half up."""
    return np.floor(np.asarray(x, dtype=np.float64) * 100 + 0.5)


def finish(st, amount_yuan, *caps):
    a = fen(amount_yuan)
    for c in caps:
        a = np.minimum(a, fen(c))
    return np.where(st == 1, np.maximum(a, 0), 0) / 100


def ymd(d):
    y = d.astype("datetime64[Y]").astype(np.int64) + 1970
    mstart = d.astype("datetime64[M]")
    m = mstart.astype(np.int64) % 12 + 1
    day = (d - mstart.astype("datetime64[D]")).astype(np.int64) + 1
    return y, m, day


def months_between(a, b):
    lo, hi = np.minimum(a, b), np.maximum(a, b)
    sign = np.where(b >= a, 1, -1)
    y1, m1, d1 = ymd(lo)
    y2, m2, d2 = ymd(hi)
    return sign * ((y2 - y1) * 12 + (m2 - m1) - (d2 < d1))


def years_between(a, b):
    m = months_between(a, b)
    return np.sign(m) * (np.abs(m) // 12)


def dishonest_deny(e, p):
    return [[(T(e("dishonest", p), e("dishonest_known", p)), False)]]


# ---------- the 20 clauses: (name, status formula, amount formula) ----------

def c_rd_subsidy(e, p, prm):
    n = e.count
    rd, rev, rdk = e("rd", p), e("rev", p), e("rd_known", p)
    intensity_ok = T(rd / np.where(rev == 0, 1, rev) >= prm.rd_intensity_min, rdk & (rev != 0))
    st = status(n, T(e("registered", p)), T(TECH[e("industry", p)]), intensity_ok)
    small = np.isin(e("size", p), [2, 3])
    return resolve(st, dishonest_deny(e, p) + [[(T(small), None)]])


def a_rd_subsidy(e, p, prm, st, applied):
    rd = e("rd", p)
    return finish(st, np.where(applied == 1, rd * 0.15, rd * prm.rd_rate), prm.rd_cap)


def c_rd_increment(e, p, prm):
    st = status(e.count, T(e("registered", p)), T(e("rd", p) > e("rd_prev", p), e("rd_known", p)))
    return resolve(st, dishonest_deny(e, p))


def a_rd_increment(e, p, prm, st, applied):
    return finish(st, (e("rd", p) - e("rd_prev", p)) * 0.05, 1_000_000)


def c_hte(e, p, prm):
    m = months_between(e("hte_date", p), EVAL)
    st = status(e.count, T(e("hte", p)), T(m < 12, e("hte_date_known", p)))
    return resolve(st, [[(T(e("hte_first", p)), None)]])


def a_hte(e, p, prm, st, applied):
    return finish(st, np.where(applied == 0, prm.hte_first, prm.hte_renew))


def c_listing(e, p, prm):
    m = months_between(e("list_date", p), EVAL)
    st = status(e.count, T(e("registered", p)), T((m >= 0) & (m < 12), e("list_date_known", p)))
    return resolve(st, dishonest_deny(e, p))


def a_listing(e, p, prm, st, applied):
    b = e("board", p)
    return finish(st, np.where(b <= 2, 5_000_000, np.where(b == 3, 3_000_000, 2_000_000)))


def c_talent(e, p, prm):
    t = e("talent", p)
    return status(e.count, T(e("registered", p)), T(t <= 3), T(e("talent_house", p))), None


def a_talent(e, p, prm, st, applied):
    t = e("talent", p)
    return finish(st, np.select([t == 0, t == 1, t == 2], [2_000_000, 1_000_000, 500_000], 200_000))


def c_rent(e, p, prm):
    y = years_between(e("founded", p), EVAL)
    st = status(e.count, T(e("registered", p)), T(y < 3), T(TECH[e("industry", p)]), T(e("rent_area", p) > 0))
    return resolve(st, dishonest_deny(e, p))


def a_rent(e, p, prm, st, applied):
    return finish(st, e("rent", p) * prm.rent_rate, 1_000_000, e("rent_area", p) * 600)


def c_patent(e, p, prm):
    return status(e.count, T(e("registered", p)), T(e("pat_inv", p) + e("pat_util", p) >= 1)), None


def a_patent(e, p, prm, st, applied):
    return finish(st, e("pat_inv", p) * 10_000 + e("pat_util", p) * 1000, 500_000)


def c_lab(e, p, prm):
    return status(e.count, T(e("registered", p)), T(e("lab_known", p))), None


def a_lab(e, p, prm, st, applied):
    lab = e("lab", p)
    return finish(st, np.where(lab == 0, 5_000_000, np.where(lab == 1, 1_000_000, 300_000)))


def c_equity(e, p, prm):
    return status(e.count, T(e("registered", p)), T(e("equity", p) >= 10_000_000)), None


def a_equity(e, p, prm, st, applied):
    return finish(st, prm.equity_scale.calc(e("equity", p)), 2_000_000)


def c_tax(e, p, prm):
    st = status(e.count, T(e("registered", p)), T(prm.tax_scale.calc(e("tax", p)) > 0))
    return resolve(st, dishonest_deny(e, p))


def a_tax(e, p, prm, st, applied):
    return finish(st, prm.tax_scale.calc(e("tax", p)))


def c_growth(e, p, prm):
    rev, prev = e("rev", p), e("rev_prev", p)
    growth = T((rev - prev) / np.where(prev == 0, 1, prev) >= 0.2, e("rev_prev_known", p) & (prev != 0))
    return status(e.count, T(e("registered", p)), T(rev >= 20_000_000), growth), None


def a_growth(e, p, prm, st, applied):
    return finish(st, (e("rev", p) - e("rev_prev", p)) * 0.01, 1_000_000)


def c_tsme(e, p, prm):
    return status(e.count, T(e("tsme", p)), T(np.isin(e("size", p), [1, 2, 3]))), None


def a_tsme(e, p, prm, st, applied):
    return finish(st, np.full(e.count, 50_000.0))


def c_contract(e, p, prm):
    return status(e.count, T(e("registered", p)), T(e("tech_contract", p) >= 1_000_000)), None


def a_contract(e, p, prm, st, applied):
    yuan = np.floor(fen(e("tech_contract", p) * 0.02) / 100 + 0.5)  # to the fen, then to the yuan
    return finish(st, yuan, 500_000)


def c_first_set(e, p, prm):
    ind = e("industry", p)
    industry = OR(T(ind == 4), T(ind == 6))
    return status(e.count, T(e("registered", p)), industry, T(e("first_set", p) > 0, e("first_set_known", p))), None


def a_first_set(e, p, prm, st, applied):
    return finish(st, e("first_set", p) * 0.2, 3_000_000)


def c_new(e, p, prm):
    y = years_between(e("founded", p), EVAL)
    return status(e.count, T(e("registered", p)), T(y < 1), T(TECH[e("industry", p)])), None


def a_new(e, p, prm, st, applied):
    return finish(st, np.full(e.count, 100_000.0))


def c_rd_staff(e, p, prm):
    s, r = e("staff", p), e("rd_staff", p)
    return status(e.count, T(e("registered", p)), T(r / s >= 0.1, s != 0), T(r >= 10)), None


def a_rd_staff(e, p, prm, st, applied):
    return finish(st, e("rd_staff", p) * 2000, 500_000)


def c_srdi(e, p, prm):
    return status(e.count, T(e("srdi_known", p))), None


def a_srdi(e, p, prm, st, applied):
    s = e("srdi", p)
    return finish(st, np.where(s == 0, 1_000_000, np.where(s == 1, 500_000, 200_000)))


def c_upgrade(e, p, prm):
    st = status(e.count, T(e("registered", p)), T(e("upgrade", p)), T(e("rev", p) >= 20_000_000))
    return resolve(st, [[(T(e("industry", p) == 8), None)]])


def a_upgrade(e, p, prm, st, applied):
    return finish(st, np.where(applied == 0, 100_000, 200_000))


def c_digital(e, p, prm):
    st = status(e.count, T(e("registered", p)), T(e("digital", p) >= 500_000, e("digital_known", p)))
    return resolve(st, [[(T(e("size", p) == 0), None)]])


def a_digital(e, p, prm, st, applied):
    d = e("digital", p)
    return finish(st, np.where(applied == 0, d * 0.1, d * 0.2), 1_000_000)


def c_rd_lead(e, p, prm):
    rd, rev = e("rd", p), e("rev", p)
    lead = T(rd / np.where(rev == 0, 1, rev) >= 0.1, e("rd_known", p) & (rev != 0))
    st = status(e.count, T(e("registered", p)), lead, T(rev >= 50_000_000), T(e("hte", p)))
    return resolve(st, dishonest_deny(e, p))


def a_rd_lead(e, p, prm, st, applied):
    return finish(st, prm.rd_lead_scale.calc(e("rd", p)))


CLAUSES = [
    ("研发投入补助", c_rd_subsidy, a_rd_subsidy),
    ("研发投入增量奖励", c_rd_increment, a_rd_increment),
    ("高企认定奖励", c_hte, a_hte),
    ("首次上市奖励", c_listing, a_listing),
    ("人才住房补贴", c_talent, a_talent),
    ("租金补贴", c_rent, a_rent),
    ("专利资助", c_patent, a_patent),
    ("研发机构建设奖励", c_lab, a_lab),
    ("股权融资奖励", c_equity, a_equity),
    ("纳税贡献奖励", c_tax, a_tax),
    ("营收增长奖励", c_growth, a_growth),
    ("科技型中小企业奖励", c_tsme, a_tsme),
    ("技术合同奖励", c_contract, a_contract),
    ("首台套奖励", c_first_set, a_first_set),
    ("新设企业落户奖励", c_new, a_new),
    ("研发人才扩充奖励", c_rd_staff, a_rd_staff),
    ("专精特新奖励", c_srdi, a_srdi),
    ("小升规奖励", c_upgrade, a_upgrade),
    ("数字化转型补贴", c_digital, a_digital),
    ("研发强度领跑奖励", c_rd_lead, a_rd_lead),
]


def build_system(manifest):
    tbs = TaxBenefitSystem([Enterprise])
    variables = []
    for key, meta in manifest["columns"].items():
        variables.append(type(key, (Variable,), {
            "value_type": VALUE_TYPES[meta["kind"]], "entity": Enterprise,
            "definition_period": DateUnit.MONTH, "label": meta["name"]}))
        if meta["has_unknown"]:
            variables.append(type(key + "_known", (Variable,), {
                "value_type": bool, "entity": Enterprise, "default_value": True,
                "definition_period": DateUnit.MONTH, "label": meta["name"] + " 已知"}))
    for k, (name, cond, amount) in enumerate(CLAUSES):
        def status_formula(e, period, parameters, cond=cond):
            st, applied = cond(e, period, parameters(period).gx)
            return st * 100 + (applied if applied is not None else -1)  # status and exception in one int

        def amount_formula(e, period, parameters, amount=amount, k=k):
            packed = e(f"c{k}_status", period)
            st, applied = (packed + 1) // 100, (packed + 1) % 100 - 1
            return amount(e, period, parameters(period).gx, st, applied)

        variables.append(type(f"c{k}_status", (Variable,), {
            "value_type": int, "entity": Enterprise, "definition_period": DateUnit.MONTH,
            "label": name + " 资格", "formula": status_formula}))
        variables.append(type(f"c{k}_amount", (Variable,), {
            "value_type": float, "entity": Enterprise, "definition_period": DateUnit.MONTH,
            "label": name + " 金额", "formula": amount_formula}))
    tbs.add_variables(*variables)
    tbs.parameters = ParameterNode("", data=PARAMETERS)
    return tbs


def load_columns(d, manifest):
    n = manifest["n"]
    cols = {}
    for key, meta in manifest["columns"].items():
        v = np.fromfile(d / f"{key}.i64", dtype="<i8", count=n)
        kind = meta["kind"]
        if kind == "money":
            cols[key] = v / 100.0
        elif kind == "num":
            cols[key] = v / 1e6
        elif kind == "bool":
            cols[key] = v != 0
        elif kind == "date":
            cols[key] = (v - CE_1970).astype("datetime64[D]")
        else:
            cols[key] = v
        if meta["has_unknown"]:
            cols[key + "_known"] = np.fromfile(d / f"{key}.known", dtype=np.uint8, count=n) != 0
    return n, cols


def new_simulation(tbs, n, cols):
    sim = SimulationBuilder().build_default_simulation(tbs, n)
    for key, v in cols.items():
        sim.set_input(key, PERIOD, v)
    return sim


def main():
    d = Path(sys.argv[1])
    reps = int(sys.argv[2]) if len(sys.argv) > 2 else 5
    manifest = json.loads((d / "manifest.json").read_text())
    tbs = build_system(manifest)
    n, cols = load_columns(d, manifest)

    per = {name: [] for name, _, _ in CLAUSES}
    totals, loads = [], []
    results = {}
    for _ in range(reps):
        t = time.perf_counter()
        sim = new_simulation(tbs, n, cols)
        loads.append(time.perf_counter() - t)
        for k, (name, _, _) in enumerate(CLAUSES):
            t = time.perf_counter()
            amount = sim.calculate(f"c{k}_amount", PERIOD)
            per[name].append(time.perf_counter() - t)
            packed = sim.calculate(f"c{k}_status", PERIOD)
            st = (packed + 1) // 100
            results[name] = {"yes": int((st == 1).sum()), "total_fen": float(fen(amount).sum())}
        sim = new_simulation(tbs, n, cols)
        t = time.perf_counter()
        for k in range(len(CLAUSES)):
            sim.calculate(f"c{k}_amount", PERIOD)
        totals.append(time.perf_counter() - t)

    med = lambda xs: sorted(xs)[len(xs) // 2] * 1e3
    out = {
        "openfisca_version": version("openfisca-core"),
        "numpy_version": np.__version__,
        "n": n,
        "load_ms": med(loads),
        "total_ms": med(totals),
        "clauses": {name: {"ms": med(per[name]), **results[name]} for name in per},
    }
    print(json.dumps(out, ensure_ascii=False))


if __name__ == "__main__":
    main()
