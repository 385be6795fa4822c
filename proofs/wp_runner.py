#!/usr/bin/env python3
"""Frama-C/WP proof runner for Bulkhead (run through proofs/run-wp.sh).

Reads proofs/core-paths.txt and proofs/wp-settings.txt, runs Frama-C/WP per
source file on the listed functions (the very files the kernel is built from;
a second pass with more provers for the functions the first left unproved),
then checks and reports:
  - every listed function exists and carries an ACSL contract;
  - every WP goal of every listed function is proved;
  - no analysed function is recursive (WP does not prove termination);
  - no function defined in a listed file has a contract without being listed;
  - every ACSL lemma the proved files can see is itself listed and proved
    (an entry "file lemma:NAME" proves it in that file's context);
and writes <out>/report.txt (per function: goals, proved, by whom), the
assumed contracts (declared-only functions) and axioms, the coverage of the
portable core, and the summary line "proved N/N goals in M functions and L lemmas". Exit 1
on any failure.
"""
import concurrent.futures
import json
import os
import re
import shutil
import subprocess
import sys
import time

# The portable core for coverage: every function defined in these
# directories' .c files and (inline) in their .h files.
CORE_GROUPS = [
    ("caps/", ["caps/src", "caps/include/caps"]),
    ("kernel/core", ["kernel/core"]),
    ("vm/", ["vm/src", "vm/include/vm"]),
]
CORE_DIRS = [d for _, ds in CORE_GROUPS for d in ds]
ACSL_CLAUSE = re.compile(r"\b(requires|ensures|assigns)\b")


def read_list(path):
    entries = []
    with open(path) as f:
        for n, line in enumerate(f, 1):
            line = line.split("#", 1)[0].strip()
            if not line:
                continue
            parts = line.split()
            if len(parts) != 2:
                sys.exit(f"{path}:{n}: expected 'file function' or 'file lemma:NAME', got {line!r}")
            entries.append((parts[0], parts[1]))
    return entries


PASSES = ("first-pass", "second-pass")


def read_settings(path):
    """Arguments for every run; a line "[name]" starts a section (until the
    next such line): "[first-pass]" and "[second-pass]" hold the arguments of
    each pass (provers, timeout), "[file.c]" those added only for that source
    file."""
    args = []
    sections = {}
    cur = args
    with open(path) as f:
        for line in f:
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            m = re.match(r"^\[(\S+)\]$", line)
            if m:
                cur = sections.setdefault(m.group(1), [])
                continue
            cur.append(line)
    passes = [sections.pop(name, None) for name in PASSES]
    if None in passes:
        sys.exit(f"{path}: needs both sections " + " and ".join(f"[{n}]" for n in PASSES))
    return args, passes, sections


def function_defs(path):
    """Functions defined in a clang-formatted C file: name -> (first, last) line.

    A definition is a line at column 0 that opens a parameter list, the
    signature ending at a line ending in ')' followed by a line '{'; the body
    ends at the next '}' at column 0 (the project's clang-format style)."""
    with open(path, errors="replace") as f:
        lines = f.read().split("\n")
    defs = {}
    i = 0
    while i < len(lines):
        line = lines[i]
        m = re.match(r"^[A-Za-z_][\w\s\*]*?\b(\w+)\(", line)
        if m and not line.rstrip().endswith(";") and not line.startswith("typedef"):
            j = i
            while j < len(lines) and not lines[j].rstrip().endswith(")") and not lines[j].rstrip().endswith(";"):
                j += 1
            if j + 1 < len(lines) and lines[j].rstrip().endswith(")") and lines[j + 1].rstrip() == "{":
                k = j + 2
                while k < len(lines) and lines[k].rstrip() != "}":
                    k += 1
                defs[m.group(1)] = (i + 1, k + 1)
                i = k + 1
                continue
        i += 1
    return defs


def specified_functions(printed):
    """From frama-c -print output: names of functions (defined or declared)
    whose contract has at least one requires/ensures/assigns clause, and the
    subset that only has a declaration (no body) in the normalized program."""
    with open(printed, errors="replace") as f:
        text = f.read()
    with_spec = set()
    declared_only = set()
    defined = set()
    # A contract block "/*@ ... */" immediately followed by a prototype/definition
    # (Frama-C prints "const struct x *f(" as "struct x const *f(").
    for m in re.finditer(
        r"/\*@((?:(?!\*/).)*)\*/[ \t]*\n((?:static |inline |__inline |extern |const |struct |enum |unsigned |signed )*"
        r"[A-Za-z_]\w*(?:[ \t]+const)?[ \t\*]+)(\w+)\(([^;{]*?)\)\s*(;|\n\{)",
        text,
        re.S,
    ):
        spec, name, end = m.group(1), m.group(3), m.group(5)
        # One annotation block only (no "*/" inside); a global annotation
        # (axiomatic block, predicate, lemma) printed just before a prototype
        # is not that function's contract.
        if re.match(r"\s*(axiomatic|predicate|logic|lemma|axiom|inductive|type)\b", spec):
            continue
        if ACSL_CLAUSE.search(spec):
            with_spec.add(name)
            if end == ";":
                declared_only.add(name)
    for m in re.finditer(r"^[^\s/*#][^\n;]*?\b(\w+)\([^;{]*\)\s*\n\{", text, re.M):
        defined.add(m.group(1))
    return with_spec, declared_only - defined, defined


def logic_names(printed):
    """From frama-c -print output: the names of the lemmas and of the axioms
    in the global annotations the file can see (its own and its headers')."""
    with open(printed, errors="replace") as f:
        text = f.read()
    # A lemma or axiom may name labels: "lemma x{L1, L2}: ...".
    named = r"\s+(\w+)\s*(?:\{[\w\s,]*\})?\s*:"
    return set(re.findall(r"\blemma" + named, text)), set(re.findall(r"\baxiom" + named, text))


def read_reviewed(path):
    """The reviewed memory-model hypotheses: (file, function) -> reason."""
    reviewed = {}
    if os.path.exists(path):
        with open(path) as f:
            for line in f:
                parts = line.split(None, 2)
                if parts and not parts[0].startswith("#") and len(parts) == 3:
                    reviewed[(parts[0], parts[1])] = parts[2].strip()
    return reviewed


def memory_hypotheses(log_text):
    """From a Frama-C log: (function, hypothesis) for each "Memory model
    hypotheses for function 'f'" warning, one per requires clause."""
    found = set()
    for m in re.finditer(r"Memory model hypotheses for function '(\w+)':\n(.*?)\*/", log_text, re.S):
        for req in re.findall(r"requires\s+(.*?);", m.group(2), re.S):
            found.add((m.group(1), " ".join(req.split())))
    return found


def lemma_results(json_file):
    """Goal statistics per lemma name from a WP JSON report."""
    with open(json_file) as jf:
        axs = json.load(jf).get("wp:axiomatics", {})
    res = {}
    for goals in axs.values():
        for gname, stats in goals.items():
            if gname.startswith("lemma_"):
                res[gname[len("lemma_") :]] = stats
    return res


def goal_prover(stats):
    """Which prover closed a goal: Qed first, then the fastest-ranked prover."""
    if stats.get("qed", {}).get("valid", 0):
        return "Qed"
    best = None
    for k, v in stats.items():
        if k in ("wp:main", "qed") or not v.get("valid", 0):
            continue
        name = k.split(":")[0]
        rank = v.get("rank", 1 << 30)
        if best is None or rank < best[1]:
            best = (name, rank)
    return best[0] if best else None


def main():
    if len(sys.argv) not in (3, 4):
        sys.exit("usage: wp_runner.py <source-root> <output-dir> [list-file]")
    root, out = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
    os.makedirs(out, exist_ok=True)
    here = os.path.dirname(os.path.abspath(__file__))
    default_list = os.path.join(here, "core-paths.txt")
    list_file = os.path.abspath(sys.argv[3]) if len(sys.argv) == 4 else default_list
    entries = read_list(list_file)
    settings, pass_settings, per_file_settings = read_settings(os.path.join(here, "wp-settings.txt"))
    repo = os.path.dirname(here)
    includes = sorted(
        os.path.join(repo, d, "include")
        for d in ["caps", "vm", "kernel", "kernel/core", "kernel/lib", "kernel/arch/aarch64"]
        if os.path.isdir(os.path.join(repo, d, "include"))
    )
    # kernel/types.h and bulkhead/ipc.h are force-included so the accessors
    # named by -inline-calls in wp-settings.txt exist in every file (Frama-C
    # rejects an -inline-calls name it cannot find).
    cpp = " ".join("-I" + d for d in includes) + " -include kernel/types.h -include bulkhead/ipc.h"

    files = []
    for f, _ in entries:
        if f not in files:
            files.append(f)

    failures = []
    report = []
    assumed = set()
    generated_only = set()
    proved_functions = set()
    total_goals = total_proved = 0
    t0 = time.time()

    # Files are proved two at a time (BH_WP_JOBS): much of a Frama-C run is
    # single-threaded (parsing, goal generation, Qed), so this keeps both cores
    # busy. Each run has its own working directory (Frama-C's .frama-c state).
    jobs = max(1, int(os.environ.get("BH_WP_JOBS", "2")))
    # Two passes, each goal proved in this run: the first gives every goal to
    # one prover with a short timeout; the second runs only the functions
    # with an unproved goal, with every prover and the long timeout. The
    # provers' verdicts are cached (by goal text) in the session directories,
    # emptied here so that nothing carries over from an earlier run: the
    # second pass replays the first pass's verdicts instead of re-proving.
    # Running all provers on every goal at once (WP's way) cost about 1.6
    # times the CPU time (kernel/core/sched.c: 87 s against 53 s), since the
    # loser runs until the winner is done.
    shutil.rmtree(os.path.join(out, "sessions"), ignore_errors=True)
    planned = []
    for f in files:
        src = os.path.join(root, f)
        listed = [fn for ff, fn in entries if ff == f and not fn.startswith("lemma:")]
        lemmas = [fn[len("lemma:") :] for ff, fn in entries if ff == f and fn.startswith("lemma:")]
        if not os.path.isfile(src):
            failures.append(f"{f}: no such file")
            continue
        tag = re.sub(r"[^\w]", "_", f)
        session = os.path.join(out, "sessions", tag)
        json_path = os.path.join(out, tag + ".json")
        printed = os.path.join(out, tag + ".print.c")
        log_path = os.path.join(out, tag + ".log")
        for p in (json_path, printed):
            if os.path.exists(p):
                os.remove(p)
        defs = function_defs(src)
        for fn in listed:
            if fn not in defs:
                failures.append(f"{f}: {fn} is listed but not defined there")
        present = [fn for fn in listed if fn in defs]
        if not present and not lemmas:
            continue
        base = ["frama-c", src, "-cpp-extra-args=" + cpp] + settings + per_file_settings.get(f, [])
        base += ["-wp-session", session, "-wp-cache", "update"]

        def pass_cmd(n, fns, json_out, lemma=False, print_it=False, base=base, printed=printed):
            # A lemma is no function's property: it is selected by name alone.
            select = ["-wp-prop" if lemma else "-wp-fct", ",".join(fns)]
            cmd = base + pass_settings[n] + select + ["-wp-report-json", json_out]
            if print_it:
                cmd += ["-then", "-print", "-ocode", printed]
            return cmd

        work = os.path.join(out, "work", tag)
        os.makedirs(work, exist_ok=True)
        # Size of the listed functions: the biggest files start first.
        size = sum(defs[fn][1] - defs[fn][0] for fn in present)
        planned.append((f, listed, defs, json_path, printed, log_path, pass_cmd, work, present, size, lemmas))

    def run_one(cmd, log_path, work, mode):
        ft = time.time()
        with open(log_path, mode) as log:
            log.write(" ".join(cmd) + "\n")
            log.flush()
            rc = subprocess.call(cmd, cwd=work, stdout=log, stderr=subprocess.STDOUT)
        return rc, time.time() - ft

    def unproved_functions(json_file, fns):
        with open(json_file) as jf:
            res = json.load(jf).get("wp:functions", {})
        bad = []
        for fn in fns:
            for gname, stats in res.get(fn, {}).items():
                st = stats.get("wp:main", {})
                if gname != "wp:section" and st.get("valid", 0) != st.get("total", 0):
                    bad.append(fn)
                    break
        return bad

    def prove_lemmas(pl, mode):
        """The file's listed lemmas, in one run with the second pass's
        provers (they are few and small; CVC4 alone misses some that Z3 proves
        at once): (exit status, seconds, lemma name -> goal statistics)."""
        json_path, log_path, pass_cmd, work, lemmas = pl[3], pl[5], pl[6], pl[7], pl[10]
        lj = json_path[: -len(".json")] + ".lemmas.json"
        if os.path.exists(lj):
            os.remove(lj)
        rc, dt = run_one(pass_cmd(1, lemmas, lj, lemma=True, print_it=(mode == "w")), log_path, work, mode)
        if rc != 0 or not os.path.exists(lj):
            return rc or 1, dt, {}
        return rc, dt, lemma_results(lj)

    def prove_file(pl):
        """Both passes of one file: (exit status, seconds, functions of the
        second pass, its JSON report, the lemma results)."""
        _, _, _, json_path, _, log_path, pass_cmd, work, present, _, lemmas = pl
        lem = (0, 0.0, {})
        if not present:
            lem = prove_lemmas(pl, "w")
            return lem[0], lem[1], [], None, lem
        rc, dt = run_one(pass_cmd(0, present, json_path, print_it=True), log_path, work, "w")
        if rc != 0 or not os.path.exists(json_path):
            return rc, dt, [], None, lem
        if lemmas:
            lem = prove_lemmas(pl, "a")
        bad = unproved_functions(json_path, present)
        if not bad:
            return rc, dt + lem[1], [], None, lem
        j2 = json_path[: -len(".json")] + ".pass2.json"
        if os.path.exists(j2):
            os.remove(j2)
        rc, dt2 = run_one(pass_cmd(1, bad, j2), log_path, work, "a")
        return rc, dt + dt2 + lem[1], bad, j2, lem

    with concurrent.futures.ThreadPoolExecutor(max_workers=jobs) as pool:
        order = sorted(range(len(planned)), key=lambda i: -planned[i][9])
        futures = {i: pool.submit(prove_file, planned[i]) for i in order}
        outcomes = [futures[i].result() for i in range(len(planned))]

    all_lemmas = set()
    all_axioms = set()
    listed_lemmas = set()
    hypotheses = set()
    checked_files = set()  # files whose Frama-C runs succeeded
    listed_pairs = {(f, fn) for f, fn in entries}
    for pl, (rc, dt, bad, j2, lem) in zip(planned, outcomes):
        f, listed, defs, json_path, printed, log_path = pl[:6]
        present, lemmas = pl[8], pl[10]
        if (
            rc != 0
            or lem[0] != 0
            or (present and not os.path.exists(json_path))
            or not os.path.exists(printed)
            or (bad and not os.path.exists(j2))
        ):
            failures.append(f"{f}: frama-c failed (exit {rc or lem[0]}), see {log_path}")
            continue
        checked_files.add(f)
        results = {}
        if present:
            with open(json_path) as jf:
                results = json.load(jf).get("wp:functions", {})
        if bad:
            with open(j2) as jf:
                again = json.load(jf).get("wp:functions", {})
            for fn in bad:
                results[fn] = again.get(fn, {})

        with_spec, declared_only, _ = specified_functions(printed)
        # Frama-C gives a declared function without a contract default
        # "assigns" clauses, and says so in the log: reported apart from the
        # contracts written in the sources.
        with open(log_path, errors="replace") as lf:
            log_text = lf.read()
        defaulted = set(re.findall(r"Neither code nor specification for function (\w+)", log_text))
        # WP checks a recursive call against the callee's own contract and only
        # warns that termination is not proved: every goal of a function that
        # never returns can then be "proved". Proved code has no recursion.
        for fn in sorted(set(re.findall(r"on recursive function '(\w+)'", log_text))):
            failures.append(f"{f}: {fn} is recursive: WP does not prove that it terminates")
        assumed |= declared_only - defaulted
        generated_only |= defaulted
        for fn, hyp in memory_hypotheses(log_text):
            if fn in listed:
                hypotheses.add((f, fn, hyp))

        for fn in sorted(set(defs) & with_spec - set(listed)):
            failures.append(f"{f}: {fn} has a contract but is not on proofs/core-paths.txt")
        visible_lemmas, visible_axioms = logic_names(printed)
        all_lemmas |= visible_lemmas
        all_axioms |= visible_axioms

        report.append(f"== {f} ({dt:.0f} s)")
        # A lemma is proved from the axioms and lemmas declared before it.
        lem_res = lem[2]
        for name in lemmas:
            listed_lemmas.add(name)
            if name not in visible_lemmas:
                report.append(f"  lemma {name}: NOT DECLARED")
                failures.append(f"{f}: lemma {name} is listed but not declared there")
                continue
            main_stats = lem_res.get(name, {}).get("wp:main", {})
            n, p = main_stats.get("total", 0), main_stats.get("valid", 0)
            total_goals += max(n, 1)
            if n and p == n:
                total_proved += n
                report.append(f"  lemma {name}: {p}/{n} goals ({goal_prover(lem_res[name]) or '?'} {n})")
            else:
                report.append(f"  lemma {name}: UNPROVED")
                failures.append(f"{f}: lemma {name} not proved")
        for fn in listed:
            if fn not in defs:
                report.append(f"  {fn}: NOT DEFINED")
                continue
            if fn not in with_spec:
                failures.append(f"{f}: {fn} has no contract (requires/ensures/assigns)")
                report.append(f"  {fn}: NO CONTRACT")
                continue
            goals = results.get(fn, {})
            n = p = 0
            by = {}
            unproved = []
            for gname, stats in sorted(goals.items()):
                if gname == "wp:section":  # per-function aggregate, not a goal
                    continue
                main_stats = stats.get("wp:main", {})
                n += main_stats.get("total", 0)
                if main_stats.get("total", 0) and main_stats.get("valid", 0) == main_stats["total"]:
                    p += main_stats["total"]
                    who = goal_prover(stats) or "?"
                    by[who] = by.get(who, 0) + main_stats["total"]
                else:
                    unproved.append(gname)
            total_goals += n
            total_proved += p
            who = ", ".join(f"{k} {v}" for k, v in sorted(by.items()))
            again = ", second pass" if fn in bad else ""
            report.append(f"  {fn}: {p}/{n} goals ({who}{again})")
            for g in unproved:
                report.append(f"    UNPROVED {g}")
                failures.append(f"{f}: {fn}: goal {g} not proved")
            if not unproved:
                proved_functions.add((f, fn))

    # The reviewed list (BH_WP_HYPOTHESES: another one, for the self-test).
    reviewed_path = os.environ.get("BH_WP_HYPOTHESES") or os.path.join(here, "wp-hypotheses.txt")
    reviewed = read_reviewed(reviewed_path)
    reviewed_name = os.path.relpath(reviewed_path, repo)
    for f, fn in sorted({(f, fn) for f, fn, _ in hypotheses} - set(reviewed)):
        failures.append(
            f"{f}: {fn}: WP assumes memory-model hypotheses (listed below): check that they hold "
            "at every call and list the function in proofs/wp-hypotheses.txt with the reason"
        )
    # A reviewed line must keep meaning something: a function of this run
    # that has no hypothesis any more (or, on the full list, is not listed
    # at all) would let a later, different hypothesis pass unreviewed.
    with_hyp = {(f, fn) for f, fn, _ in hypotheses}
    for f, fn in sorted(reviewed):
        if f not in checked_files:
            if list_file == default_list and f not in files:
                failures.append(f"{reviewed_name}: {f} {fn}: the file is not on the list: remove the line")
            continue
        if (f, fn) in listed_pairs:
            if (f, fn) not in with_hyp:
                failures.append(
                    f"{reviewed_name}: {f} {fn}: WP assumes no memory-model hypothesis for it "
                    "any more: remove the line"
                )
        elif list_file == default_list:
            failures.append(f"{reviewed_name}: {f} {fn}: not a listed function: remove the line")

    # Coverage of the portable core: functions and lines whose contracts are
    # fully proved, over every function defined in CORE_GROUPS.
    cov = []
    per_group = {}
    all_f = all_l = ok_f = ok_l = 0
    for group, dirs in CORE_GROUPS:
        df = dl = pf = pl = 0
        for d in dirs:
            dpath = os.path.join(root, d)
            if not os.path.isdir(dpath):
                continue
            for name in sorted(os.listdir(dpath)):
                if not (name.endswith(".c") or name.endswith(".h")):
                    continue
                rel = f"{d}/{name}"
                for fn, (a, b) in function_defs(os.path.join(dpath, name)).items():
                    df += 1
                    dl += b - a + 1
                    if (rel, fn) in proved_functions:
                        pf += 1
                        pl += b - a + 1
        per_group[group] = (df, dl, pf, pl)
        cov.append(f"  {group}: functions {pf}/{df}, lines {pl}/{dl}")
        all_f, all_l, ok_f, ok_l = all_f + df, all_l + dl, ok_f + pf, ok_l + pl

    def pct(a, b):
        return f"{100.0 * a / b:.1f}%" if b else "n/a"

    for name in sorted(all_lemmas - listed_lemmas):
        failures.append(
            f"lemma {name} is visible to proved code but not proved: list it as '<file> lemma:{name}' "
            "in proofs/core-paths.txt (or make it an axiom and document it)"
        )
    # A contract proved in its own file is not an assumption of another file.
    assumed -= {fn for _, fn in proved_functions}
    generated_only -= assumed | {fn for _, fn in proved_functions}
    cov_line = (
        f"coverage: functions {ok_f}/{all_f} ({pct(ok_f, all_f)}), "
        f"lines {ok_l}/{all_l} ({pct(ok_l, all_l)}) of {', '.join(g for g, _ in CORE_GROUPS)} "
        "(.c and .h) fully proved"
    )
    ck = [per_group[g] for g in ("caps/", "kernel/core")]
    cf, cl = sum(x[0] for x in ck), sum(x[1] for x in ck)
    pf_, pl_ = sum(x[2] for x in ck), sum(x[3] for x in ck)
    cov.append(
        f"  caps/ and kernel/core: functions {pf_}/{cf} ({pct(pf_, cf)}), lines {pl_}/{cl} ({pct(pl_, cl)})"
    )
    elapsed = time.time() - t0
    nfun = sum(1 for _, fn in entries if not fn.startswith("lemma:"))
    nlem = len(entries) - nfun
    summary = f"proved {total_proved}/{total_goals} goals in {nfun} functions" + (
        f" and {nlem} lemma{'s' if nlem != 1 else ''}" if nlem else ""
    )

    lines = ["Bulkhead WP proof report", ""] + report + [""]
    lines.append("assumed (contract on a declaration without a body): " + (", ".join(sorted(assumed)) or "none"))
    lines.append("assumed axioms: " + (", ".join(sorted(all_axioms)) or "none"))
    # WP's typed memory model takes the address of a global that the code
    # never takes to be apart from every pointer argument, and says so only
    # in a warning: those hypotheses are preconditions nobody wrote.
    lines.append(
        f"assumed memory-model hypotheses (reviewed in {reviewed_name}): "
        + ("none" if not hypotheses else "")
    )
    for f, fn, hyp in sorted(hypotheses):
        lines.append(f"  {f}: {fn}: {hyp}")
    lines.append(
        "declared without a contract (Frama-C generated default assigns for them): "
        + (", ".join(sorted(generated_only)) or "none")
    )
    lines += ["", cov_line] + cov + ["", f"time: {elapsed:.0f} s"]
    if failures:
        lines += ["", "FAILURES:"] + ["  " + x for x in failures]
    lines += ["", summary]
    text = "\n".join(lines) + "\n"
    with open(os.path.join(out, "report.txt"), "w") as rf:
        rf.write(text)
    sys.stdout.write(text)
    if failures or total_proved != total_goals:
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
