# Vendored copy of ../shared/tools/score.py, the acceptance scorer (keep it identical): tests
# import score_plan / score_objectives / Tally from here so that the figures they assert are the
# figures acceptance counts.
"""Score a project's plan.json against a gold annotation.

usage: score.py GOLD.json PLAN.json [--min PCT] [--findings EXPECTED_FINDINGS.json] [--verbose]

Field accuracy: every gold field is one point; the figure printed last is the percentage of
points the plan.json gets right. Text fields are compared after folding case, accents, dashes,
quotes and white space, with a similarity bar; numbers exactly.
"""
import argparse
import difflib
import json
import re
import sys
import unicodedata


def fold(s):
    if s is None:
        return ""
    s = unicodedata.normalize("NFKD", str(s))
    s = "".join(c for c in s if not unicodedata.combining(c))
    s = s.lower()
    s = re.sub(r"[\u2010-\u2015\-–—]+", "-", s)
    s = re.sub(r"[\u2018\u2019`´]", "'", s)
    s = re.sub(r"[\u201c\u201d«»]", '"', s)
    s = re.sub(r"\s*-\s*", "-", s)
    s = re.sub(r"[^\w%'\"/.,()+-]+", " ", s)
    return re.sub(r"\s+", " ", s).strip(" .")


def similar(a, b, bar):
    a, b = fold(a), fold(b)
    if not a and not b:
        return True
    return difflib.SequenceMatcher(None, a, b).ratio() >= bar


def num_eq(a, b):
    if a is None or b is None:
        return a is None and b is None
    try:
        return abs(float(a) - float(b)) < 0.005
    except (TypeError, ValueError):
        return False


class Tally:
    def __init__(self):
        self.ok = 0
        self.total = 0
        self.by_field = {}
        self.misses = []

    def add(self, field, good, where=""):
        self.total += 1
        self.ok += bool(good)
        f = self.by_field.setdefault(field, [0, 0])
        f[0] += bool(good)
        f[1] += 1
        if not good:
            self.misses.append(f"{where}{field}")


def score_plan(gold, got, t):
    gp, pp = gold.get("plan", {}), got.get("plan", {}) or {}
    t.add("plan.entity", similar(gp.get("entity"), pp.get("entity"), 0.9))
    t.add("plan.year", num_eq(gp.get("year"), pp.get("year")))
    gb, pb = gp.get("budget", {}), pp.get("budget") or {}
    for k in ("total", "allocated", "reserve", "welfare"):
        if k in gb:
            t.add(f"plan.budget.{k}", num_eq(gb.get(k), pb.get(k)))
    gw, pw = gp.get("strategic_weights", {}), pp.get("strategic_weights") or {}
    pw_f = {fold(k): v for k, v in pw.items()}
    for k, v in gw.items():
        t.add("plan.strategic_weights", num_eq(v, pw_f.get(fold(k))), f"[{k}] ")
    if "prerequisites" in gp:  # weightless objectives marked "X" that gate the whole bonus
        ppre = pp.get("prerequisites") or []
        t.add("plan.prerequisites", len(ppre) == len(gp["prerequisites"])
              and all(similar(a, b, 0.8) for a, b in zip(gp["prerequisites"], ppre)))
    gbands, pbands = gp.get("staff_bands", []), pp.get("staff_bands") or []
    for gbd in gbands:
        match = None
        for pbd in pbands:
            if gbd.get("min") is None and gbd.get("max") is None:
                if similar(gbd.get("label"), pbd.get("label"), 0.8):
                    match = pbd
            elif num_eq(gbd.get("min"), pbd.get("min")) and num_eq(gbd.get("max"), pbd.get("max")):
                match = pbd
        t.add("plan.staff_bands", match is not None and num_eq(gbd["coefficient"], match.get("coefficient")),
              f"[{gbd.get('label')}] ")


def score_objectives(gold, got, t):
    gobjs = gold.get("objectives", [])
    pobjs = got.get("objectives", []) or []
    by_num = {}
    for o in pobjs:
        by_num.setdefault(o.get("number"), o)
    t.add("objectives.count", len(gobjs) == len(pobjs))
    for g in gobjs:
        n = g["number"]
        p = by_num.get(n)
        if p is None:  # fall back to title match
            cands = [o for o in pobjs if similar(g["title"], o.get("title"), 0.85)]
            p = cands[0] if cands else None
        w = f"[obj {n}] "
        if p is None:
            t.add("objective.found", False, w)
            continue
        t.add("objective.found", True, w)
        t.add("objective.number_printed", bool(g.get("number_printed", True)) == bool(p.get("number_printed", True)), w)
        t.add("objective.kind", fold(g.get("kind")) == fold(p.get("kind")), w)
        t.add("objective.title", similar(g.get("title"), p.get("title"), 0.9), w)
        t.add("objective.timeframe", similar(g.get("timeframe"), p.get("timeframe"), 0.8), w)
        t.add("objective.threshold_pct", num_eq(g.get("threshold_pct"), p.get("threshold_pct")), w)
        t.add("objective.staff_count", num_eq(g.get("staff_count"), p.get("staff_count")), w)
        if g.get("strategic_level"):
            t.add("objective.strategic_level", fold(g["strategic_level"]) == fold(p.get("strategic_level")), w)
        if "objective_weight" in g:
            t.add("objective.objective_weight", num_eq(g["objective_weight"], p.get("objective_weight")), w)
        gi, pi = g.get("indicators", []), p.get("indicators") or []
        t.add("objective.indicator_count", len(gi) == len(pi), w)
        for k, gind in enumerate(gi):
            pind = pi[k] if k < len(pi) else {}
            wi = f"[obj {n} ind {k + 1}] "
            t.add("indicator.weight_pct", num_eq(gind.get("weight_pct"), pind.get("weight_pct")), wi)
            t.add("indicator.target_value", num_eq(gind.get("target_value"), pind.get("target_value")), wi)
            t.add("indicator.name", similar(gind.get("name"), pind.get("name"), 0.75), wi)


def score_findings(expected, got):
    """expected: {"required": [[rule, objective_or_null], ...], "forbidden_rules": [...],
    "max_error_or_warning": int|null}. Returns (hits, total, problems)."""
    fs = got.get("findings", []) or []
    have = {(f.get("rule"), f.get("objective")) for f in fs}
    hits, problems = 0, []
    for rule, obj in expected.get("required", []):
        objs = obj if isinstance(obj, list) else [obj]  # a list: any of these objectives will do
        if any((rule, o) in have for o in objs):
            hits += 1
        else:
            problems.append(f"missed {rule} on {obj}")
    for f in fs:
        if f.get("rule") in expected.get("forbidden_rules", []) and f.get("severity") in ("error", "warning"):
            problems.append(f"false {f.get('rule')} on {f.get('objective')}")
    cap = expected.get("max_error_or_warning")
    if cap is not None:
        n = sum(1 for f in fs if f.get("severity") in ("error", "warning"))
        if n > cap:
            problems.append(f"{n} errors/warnings on a plan that should have at most {cap}")
    return hits, len(expected.get("required", [])), problems


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("gold")
    ap.add_argument("plan")
    ap.add_argument("--min", type=float, default=None)
    ap.add_argument("--findings")
    ap.add_argument("--verbose", action="store_true")
    a = ap.parse_args()
    gold = json.load(open(a.gold))
    try:
        got = json.load(open(a.plan))
    except (OSError, ValueError) as e:
        print(f"no usable plan.json: {e}")
        sys.exit(1)
    t = Tally()
    score_plan(gold, got, t)
    score_objectives(gold, got, t)
    pct = 100.0 * t.ok / max(t.total, 1)
    if a.verbose:
        for f, (ok, tot) in sorted(t.by_field.items()):
            print(f"  {f:28s} {ok:4d}/{tot:<4d}")
        for m in t.misses[:60]:
            print("  miss", m)
    ok = a.min is None or pct >= a.min
    line = f"field accuracy {pct:.1f}% ({t.ok}/{t.total})"
    if a.findings:
        exp = json.load(open(a.findings))
        hits, tot, problems = score_findings(exp, got)
        for p in problems[:20]:
            print("  finding:", p)
        line += f"; findings recall {hits}/{tot}, {len(problems)} problem(s)"
        ok = ok and not problems
    print(line)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
