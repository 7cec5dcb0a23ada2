#!/usr/bin/env python3
"""Reads an `strace -f` log of keepsake serve and its sandboxed workers and lists every file
opened, created, renamed or removed where it does not belong:

- a worker (a process that ran `keepsake worker`, and the threads it started) may write only
  inside its job folder, and read only there and in the system's read-only places (libraries,
  fonts, /proc of itself, CPU topology) and the product assets folder;
- the server may use its data folder, the assets and console folders, and the same system places.

The server's data, assets and console folders are read from its command line in the trace.
Usage: check_opens.py TRACE
Exit status 1 when anything is out of place, with each such access printed."""
import os
import re
import sys

trace = sys.argv[1]
data_dir = assets_dir = console_dir = None

READ_ONLY = ("/usr/", "/lib/", "/lib64/", "/etc/ld.so.cache", "/etc/localtime", "/etc/fonts/",
             "/sys/devices/system/cpu/", "/sys/devices/system/node",
             "/sys/kernel/mm/transparent_hugepage/", "/sys/fs/cgroup/", "/proc/self/", "/proc/sys/",
             "/dev/null", "/dev/urandom", "/dev/random", "/etc/ssl/", "/etc/nsswitch.conf",
             "/etc/host.conf", "/etc/resolv.conf", "/etc/hosts", "/etc/gai.conf",
             "/proc/meminfo", "/proc/cpuinfo", "/proc/stat", "/var/cache/fontconfig/",
             "/etc/ImageMagick", "/root/.cache/fontconfig", "/root/.fontconfig")
LINE = re.compile(r"^(\d+)\s+(.*)$")
CALL = re.compile(r'^(\w+)\((.*)\)\s+=\s+(-?\d+|\?)(.*)$')
STRING = re.compile(r'"((?:[^"\\]|\\.)*)"')
# with strace -y a descriptor is shown with its path: unlinkat(5</data/jobs/1-1>, "input.glb"
DIRFD = re.compile(r'^(\d+)<([^>]*)>,')


def inside(path, folder):
    return path == folder or path.startswith(folder.rstrip("/") + "/")


cwd = {}          # pid -> working directory
worker = set()    # pids that are (threads of) a worker
job_dir = {}      # worker pid -> its job folder
server_pids = set()
problems = []
pending = {}      # pid -> text of an unfinished call
workers_seen, folders_seen, checked = 0, set(), 0
started = {}      # pids seen since they began (strace may show a child before its clone returns)
first_pid = None

for raw in open(trace, errors="replace"):
    m = LINE.match(raw.rstrip("\n"))
    if not m:
        continue
    pid, rest = int(m.group(1)), m.group(2)
    if first_pid is None:
        first_pid = pid
        cwd[pid] = os.getcwd()
    if rest.startswith("+++ exited") or rest.startswith("+++ killed"):
        # the pid may be used again by another process
        for table in (cwd, job_dir, started):
            table.pop(pid, None)
        worker.discard(pid)
        continue
    if pid not in started:
        started[pid] = True
    # strace splits calls interrupted by another process's: <unfinished ...> / <... resumed>
    if rest.endswith("<unfinished ...>"):
        pending[pid] = rest[: -len("<unfinished ...>")]
        continue
    resumed = re.match(r"^<\.\.\. \w+ resumed>(.*)$", rest)
    if resumed:
        rest = pending.pop(pid, "") + resumed.group(1)
    call = CALL.match(rest)
    if not call:
        continue
    name, args, result = call.group(1), call.group(2), call.group(3)
    ok = result not in ("?",) and not result.startswith("-")
    if name in ("clone", "clone3", "fork", "vfork") and ok:
        child = int(result)
        if child in started:
            continue  # strace showed the child's first calls before the parent's return
        started[child] = True
        cwd[child] = cwd.get(pid, "/")
        if pid in worker:
            worker.add(child)
            job_dir[child] = job_dir[pid]
        continue
    strings = STRING.findall(args)
    if name == "chdir" and ok and strings:
        cwd[pid] = os.path.normpath(os.path.join(cwd.get(pid, "/"), strings[0]))
        continue
    if name == "execve" and ok:
        argv = strings[1:]  # after the program's path
        if argv[1:2] == ["worker"]:
            worker.add(pid)
            job_dir[pid] = cwd.get(pid, "/")
            workers_seen += 1
            folders_seen.add(job_dir[pid])
        elif argv[1:2] == ["serve"]:
            server_pids.add(pid)
            folder = lambda flag: os.path.realpath(os.path.join(cwd.get(pid, "/"), argv[
                argv.index(flag) + 1])) if flag in argv else None
            data_dir, assets_dir = folder("--data"), folder("--assets")
            console_dir = folder("--console") or os.path.realpath(
                os.path.join(os.path.dirname(strings[0]), "..", "console"))
        continue
    if name not in ("open", "openat", "openat2", "creat", "mkdir", "mkdirat", "unlink",
                    "unlinkat", "rename", "renameat", "renameat2", "link", "linkat",
                    "symlink", "symlinkat", "truncate", "execve"):
        continue
    if not ok or not strings:
        continue
    writes = name != "open" and name != "openat" and name != "openat2" or \
        re.search(r"O_WRONLY|O_RDWR|O_CREAT|O_TRUNC", args) is not None
    for path in strings[:2] if name.startswith(("rename", "link", "symlink")) else strings[:1]:
        if not path:
            continue
        base = cwd.get(pid, "/")
        dirfd = DIRFD.match(args)
        if dirfd and name.endswith("at") and path == strings[0]:
            base = dirfd.group(2)
        full = os.path.normpath(os.path.join(base, path))
        if pid in worker:
            home = job_dir[pid]
            allowed = inside(full, home) or (not writes and (
                full.startswith(READ_ONLY) or (assets_dir and inside(full, assets_dir)) or
                full.startswith("/proc/" + str(pid))))
            who = "worker"
        else:
            if data_dir is None:
                continue  # the test runner before it started the server
            allowed = inside(full, data_dir) or (not writes and (
                full.startswith(READ_ONLY) or inside(full, assets_dir) or
                inside(full, console_dir) or full.startswith("/proc/")))
            who = "server"
        checked += 1
        if not allowed:
            problems.append(f"{who} pid {pid}: {name} {'(write) ' if writes else ''}{full}")

print(f"{workers_seen} workers in {len(folders_seen)} job folders; {checked} file accesses "
      f"checked")
if problems:
    print(f"{len(problems)} accesses out of place:")
    for p in sorted(set(problems)):
        print("  " + p)
    sys.exit(1)
print("every file opened was in its place")
