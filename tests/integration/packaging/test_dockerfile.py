#!/usr/bin/env python3
"""docker/Dockerfile without a Docker engine: the build stage installs exactly the build packages of
scripts/install-deps.sh; the runtime stage installs exactly the packages of the shared libraries the
binaries link (ldd of this build's binaries -> dpkg -S), with what debian:bookworm-slim already has
and what apt pulls in as dependencies worked out from the dpkg database; the image runs as 65532;
and the empty table the image ships is one the real proxy starts with.
  test_dockerfile.py [--proxy BIN] [--controller BIN]"""
import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import packaging_support as ps  # noqa: E402

DOCKERFILE = os.path.join(ps.REPO, "docker", "Dockerfile")
# What install-deps.sh installs for the benchmarks and tests only: comparison servers, promtool
# (package prometheus), unzip for the kubectl/Helm download, h2load (nghttp2-client) and clang
# with its runtime for the fuzzers and sanitizers.
TEST_ONLY_PACKAGES = {"wrk", "nginx-light", "haproxy", "apache2", "prometheus", "unzip",
                      "nghttp2-client", "clang", "libclang-rt-14-dev"}
BINARIES = {}


def dockerfile_stages():
    """[(from_image, stage_name, [(INSTRUCTION, args)])] with continuation lines joined."""
    with open(DOCKERFILE) as f:
        text = f.read()
    text = re.sub(r"\\\n", " ", text)
    stages = []
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        instr, _, args = line.partition(" ")
        instr = instr.upper()
        if instr == "FROM":
            m = re.fullmatch(r"(\S+)(?:\s+AS\s+(\S+))?", args.strip(), re.I)
            stages.append((m.group(1), m.group(2), []))
        else:
            stages[-1][2].append((instr, args.strip()))
    return stages


def apt_packages(instructions):
    pkgs = []
    for instr, args in instructions:
        if instr != "RUN":
            continue
        for cmd in re.split(r"&&|;", args):
            words = cmd.split()
            if "apt-get" in words and "install" in words:
                pkgs += [w for w in words[words.index("install") + 1:] if not w.startswith("-")]
    return pkgs


def install_deps_packages():
    with open(os.path.join(ps.REPO, "scripts", "install-deps.sh")) as f:
        m = re.search(r"^packages=\((.*?)^\)", f.read(), re.S | re.M)
    assert m, "scripts/install-deps.sh has no packages=( ... ) list"
    return [w for line in m.group(1).splitlines() for w in line.split("#")[0].split()]


def dpkg_status():
    """Installed packages -> {'deps': [[alternatives]], 'essential': bool, 'priority': str}."""
    db = {}
    with open("/var/lib/dpkg/status") as f:
        for para in f.read().split("\n\n"):
            fields, key = {}, None
            for line in para.splitlines():
                if line.startswith((" ", "\t")) and key:
                    fields[key] += " " + line.strip()
                elif ":" in line:
                    key, _, value = line.partition(":")
                    fields[key] = value.strip()
            if "Package" not in fields or "install ok installed" not in fields.get("Status", ""):
                continue
            deps = []
            for field in ("Pre-Depends", "Depends"):
                for group in filter(None, (g.strip() for g in fields.get(field, "").split(","))):
                    deps.append([re.split(r"[\s(:]", alt.strip())[0] for alt in group.split("|")])
            db[fields["Package"]] = {"deps": deps, "essential": fields.get("Essential") == "yes",
                                     "priority": fields.get("Priority", "")}
    return db


def closure(db, roots):
    """What apt installs for `roots` (Depends and Pre-Depends; the first installed alternative)."""
    seen, todo = set(), list(roots)
    while todo:
        p = todo.pop()
        if p in seen:
            continue
        seen.add(p)
        for alts in db.get(p, {}).get("deps", []):
            chosen = next((a for a in alts if a in db), None)
            if chosen:
                todo.append(chosen)
    return seen


def slim_base(db):
    """debian:bookworm-slim is a minbase system: Essential and Priority required packages, plus
    apt, with their dependencies."""
    roots = [p for p, v in db.items() if v["essential"] or v["priority"] == "required"] + ["apt"]
    return closure(db, roots)


def package_of(path):
    real = os.path.realpath(path)
    for candidate in (path, real):
        r = subprocess.run(["dpkg", "-S", candidate], capture_output=True, text=True)
        if r.returncode == 0:
            return r.stdout.split(":")[0].split(",")[0].strip()
        # usrmerge: /lib/... is owned as /usr/lib/... or the other way round
        alt = candidate[4:] if candidate.startswith("/usr/") else "/usr" + candidate
        r = subprocess.run(["dpkg", "-S", alt], capture_output=True, text=True)
        if r.returncode == 0:
            return r.stdout.split(":")[0].split(",")[0].strip()
    raise AssertionError(f"no Debian package owns {path}")


def linked_libraries(binary):
    """(direct: {soname: path}, all: {soname: path}) from readelf -d and ldd."""
    out = ps.run(["ldd", binary]).stdout
    all_libs = {}
    for line in out.splitlines():
        m = re.match(r"\s*(\S+)\s+=>\s+(\S+)\s+\(", line)
        if m:
            all_libs[m.group(1)] = m.group(2)
        elif "not found" in line:
            raise AssertionError(f"{binary}: {line.strip()}")
    needed = re.findall(r"\(NEEDED\)\s+Shared library: \[([^\]]+)\]", ps.run(["readelf", "-d", binary]).stdout)
    direct = {so: all_libs[so] for so in needed if so in all_libs}
    return direct, all_libs


class DockerfileTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.stages = dockerfile_stages()
        cls.build = next(s for s in cls.stages if s[1] == "build")
        cls.runtime = cls.stages[-1]

    def test_stages(self):
        self.assertEqual(self.build[0], "debian:bookworm")
        self.assertEqual(self.runtime[0], "debian:bookworm-slim")
        run = " ".join(a for i, a in self.build[2] if i == "RUN")
        self.assertIn("-DCMAKE_BUILD_TYPE=Release", run)
        self.assertRegex(run, r"cmake --build \S+ -j2 --target kube-balancer-proxy kube-balancer-controller")

    def test_build_stage_installs_the_binaries_cmake_builds(self):
        # The paths the build stage installs from are where CMake puts the targets.
        if not BINARIES:
            self.skipTest("the binaries are not built in this tree (pass --proxy and --controller)")
        run = " ".join(a for i, a in self.build[2] if i == "RUN")
        installed = dict((os.path.basename(src), src) for src in re.findall(r"install -D -m 0755 (/build/\S+)", run))
        for key, binary in BINARIES.items():
            name = f"kube-balancer-{key}"
            self.assertIn(name, installed)
            rel = os.path.relpath(installed[name], "/build")
            self.assertTrue(os.path.realpath(binary).endswith("/" + rel), f"{binary} is not at <build>/{rel}")

    def test_build_stage_configures_here(self):
        # The build stage's own cmake configure line, run on this tree (sources at the repository,
        # the build in a temp dir); then the targets it builds must exist (listed, not built).
        run = " ".join(a for i, a in self.build[2] if i == "RUN")
        configure = re.search(r"(cmake -S /src -B /build[^&]*)&&", run).group(1).split()
        build = re.search(r"cmake --build /build -j2 --target ([\w\s-]+?)\s*&&", run).group(1).split()
        with tempfile.TemporaryDirectory(prefix="kb-docker-build-") as tmp:
            argv = [ps.REPO if a == "/src" else tmp if a == "/build" else a for a in configure]
            ps.run(argv, timeout=300)
            targets = ps.run(["cmake", "--build", tmp, "--target", "help"]).stdout
        for target in build:
            self.assertRegex(targets, rf"\.\.\. {re.escape(target)}\b", f"no target {target}")

    def test_build_stage_installs_the_build_packages_of_install_deps(self):
        deps = install_deps_packages()
        self.assertTrue(TEST_ONLY_PACKAGES <= set(deps), "TEST_ONLY_PACKAGES names a package install-deps lost")
        build_pkgs = apt_packages(self.build[2])
        self.assertEqual(len(build_pkgs), len(set(build_pkgs)), "a package is listed twice")
        self.assertEqual(sorted(build_pkgs), sorted(set(deps) - TEST_ONLY_PACKAGES))

    def test_runtime_stage(self):
        instrs = self.runtime[2]
        pkgs = apt_packages(instrs)
        self.assertFalse([p for p in pkgs if p.endswith("-dev")], "no development packages at run time")
        self.assertIn("ca-certificates", pkgs, "the controller talks TLS to the API server")
        users = [a for i, a in instrs if i == "USER"]
        self.assertEqual(users[-1].split(":")[0], "65532")
        self.assertIn("--uid 65532", " ".join(a for i, a in instrs if i == "RUN"))
        self.assertEqual([a for i, a in instrs if i == "EXPOSE"], ["8080 9901"])
        self.assertTrue([a for i, a in instrs if i == "ENTRYPOINT"])
        copies = " ".join(a for i, a in instrs if i == "COPY" and a.startswith("--from=build"))
        for binary in ("kube-balancer-proxy", "kube-balancer-controller"):
            self.assertIn(binary, copies)
        # Files copied from the context exist; the empty table lands where the chart's init copies from.
        for _, args in [x for x in instrs if x[0] == "COPY" and not x[1].startswith("--from")]:
            for src in args.split()[:-1]:
                self.assertTrue(os.path.exists(os.path.join(ps.REPO, src)), src)
        with open(os.path.join(ps.CHART, "templates", "deployment.yaml")) as f:
            self.assertIn('"/etc/kube-balancer/empty-table.yaml"', f.read())
        self.assertIn("COPY docker/empty-table.yaml /etc/kube-balancer/empty-table.yaml",
                      [f"{i} {a}" for i, a in instrs])

    def test_dockerignore(self):
        with open(os.path.join(ps.REPO, ".dockerignore")) as f:
            entries = {line.strip() for line in f if line.strip() and not line.startswith("#")}
        for e in ("build*/", ".tools/", ".git/"):
            self.assertIn(e, entries)

    def test_runtime_packages_are_exactly_the_linked_libraries(self):
        if not BINARIES:
            self.skipTest("the binaries are not built in this tree (pass --proxy and --controller)")
        # A sanitizer build links with --no-as-needed (GCC's libasan spec), so it records libraries
        # the Release build of the image drops (libboost_system): it says nothing about the image.
        for name, binary in BINARIES.items():
            if re.search(r"lib(asan|ubsan)\.so", ps.run(["ldd", binary]).stdout):
                self.skipTest(f"{name} is a sanitizer build; the image is built without sanitizers")
        db = dpkg_status()
        base = slim_base(db)
        runtime_pkgs = set(apt_packages(self.runtime[2]))
        installed = closure(db, runtime_pkgs) | base
        self.assertIn("libc6", base)
        used = set()
        for name, binary in BINARIES.items():
            direct, all_libs = linked_libraries(binary)
            self.assertTrue(direct, f"{name}: no shared libraries found")
            for so, path in all_libs.items():
                pkg = package_of(path)
                used.add(pkg)
                self.assertIn(pkg, installed, f"{name} needs {so} from {pkg}, not in the runtime stage")
            for so, path in direct.items():
                pkg = package_of(path)
                # A library the binary links directly is named, not left to another package's deps.
                self.assertTrue(pkg in runtime_pkgs or pkg in base,
                                f"{name} links {so} ({pkg}) directly: install {pkg} in the runtime stage")
        if set(BINARIES) == {"proxy", "controller"}:
            unneeded = runtime_pkgs - used - {"ca-certificates"}
            self.assertEqual(unneeded, set(), "runtime packages no binary links")

    def test_the_shipped_empty_table_starts_the_proxy(self):
        if "proxy" not in BINARIES:
            self.skipTest("kube-balancer-proxy is not built in this tree")
        with tempfile.TemporaryDirectory(prefix="kb-empty-table-") as tmp:
            table = os.path.join(tmp, "table.yaml")
            with open(os.path.join(ps.REPO, "docker", "empty-table.yaml")) as src, open(table, "w") as dst:
                dst.write(src.read())
            port_file = os.path.join(tmp, "ports")
            log_path = os.path.join(tmp, "proxy.log")
            log = open(log_path, "w")
            proc = subprocess.Popen([BINARIES["proxy"], f"--table={table}", "--listen=127.0.0.1:0",
                                     "--admin=127.0.0.1:0", f"--port-file={port_file}", "--workers=1"],
                                    stdout=subprocess.DEVNULL, stderr=log)
            try:
                deadline = time.monotonic() + 30
                while not os.path.exists(port_file):
                    if proc.poll() is not None:
                        with open(log_path) as f:
                            self.fail(f"the proxy exited {proc.returncode}: {f.read()}")
                    self.assertLess(time.monotonic(), deadline, "no port file after 30 s")
                    time.sleep(0.05)
                with open(port_file) as f:
                    ports = dict(kv.split("=") for kv in f.read().split())
                with urllib.request.urlopen(f"http://127.0.0.1:{ports['admin']}/readyz", timeout=10) as r:
                    self.assertEqual(r.status, 200)
                with self.assertRaises(urllib.error.HTTPError) as e:
                    urllib.request.urlopen(f"http://127.0.0.1:{ports['proxy']}/", timeout=10)
                self.assertEqual(e.exception.code, 404, "an empty table answers 404")
            finally:
                ps.stop_process(proc, timeout=20)
                log.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--proxy")
    parser.add_argument("--controller")
    args, rest = parser.parse_known_args()
    for key in ("proxy", "controller"):
        if getattr(args, key):
            BINARIES[key] = getattr(args, key)
    unittest.main(argv=[sys.argv[0]] + rest, verbosity=2)
