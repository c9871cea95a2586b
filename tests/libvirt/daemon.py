"""A private, throw-away ``libvirtd`` (system instance, as root) for tests and CI.

libvirtd running as root uses fixed paths (``/etc/libvirt``, ``/run/libvirt``,
``/var/lib/libvirt``, ``/var/cache/libvirt``, ``/var/log/libvirt``) that no
option or environment variable moves for the qemu driver.  So the daemon runs
in a private mount namespace (``unshare --mount --propagation private``) where
those paths are bind mounts of real directories under one temp dir::

    ROOT/etc/libvirt        -> /etc/libvirt      (libvirtd.conf, qemu.conf)
    ROOT/run                -> /run              (whole /run: no dbus, no systemd)
    ROOT/var/lib/libvirt    -> /var/lib/libvirt  (domain dirs, monitor sockets)
    ROOT/var/cache/libvirt  -> /var/cache/libvirt (qemu capabilities cache)
    ROOT/var/log/libvirt    -> /var/log/libvirt  (per-domain emulator logs)
    ROOT/libvirt-sock       the daemon's socket (unix_sock_dir = ROOT)
    ROOT/libvirtd.log       the daemon's own log (log_outputs)

A path whose mount point does not exist on the host (``/var/lib/libvirt`` on a
machine without libvirt-daemon-system) gets it from a tmpfs laid over its
parent inside the namespace, with the parent's original entries bound back, so
nothing is ever created on the host.  Where the ``libvirt-qemu`` user or group
is missing, private copies of ``/etc/passwd`` and ``/etc/group`` that add them
are bound over the originals, again only inside the namespace.

Emulators started by libvirtd inherit the namespace and keep it alive when the
daemon dies, so :meth:`PrivateLibvirtd.restart` starts the new daemon in a *new*
namespace with the same binds: it sees the same state directories and the
same monitor sockets, as after a host's ``systemctl restart libvirtd``.

Teardown destroys what is left: domains (``virsh destroy``), then every process
in any namespace this object created (probe or domain emulators included), then
the daemon, then the temp dir.  Every wait has a timeout.
"""

from __future__ import annotations

import os
import shlex
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path

__all__ = ["PrivateLibvirtd", "LibvirtdError", "missing_tools", "QEMU_CONF", "LIBVIRTD_CONF"]

# Fixed paths of a root libvirtd, each replaced inside the namespace.
STATE_PATHS = ("/etc/libvirt", "/var/lib/libvirt", "/var/cache/libvirt", "/var/log/libvirt")

QEMU_CONF = """\
# Written by tests/libvirt/daemon.py: no cgroups, namespaces, security drivers,
# ownership changes, virtlogd or libvirt-qemu user.
user = "root"
group = "root"
dynamic_ownership = 0
remember_owner = 0
cgroup_controllers = [ ]
namespaces = [ ]
security_driver = "none"
security_default_confined = 0
security_require_confined = 0
stdio_handler = "file"
set_process_name = 0
clear_emulator_capabilities = 0
seccomp_sandbox = 0
vnc_auto_unix_socket = 0
max_core = 0
"""

LIBVIRTD_CONF = """\
# Written by tests/libvirt/daemon.py
unix_sock_dir = "{root}"
unix_sock_group = "root"
unix_sock_ro_perms = "0777"
unix_sock_rw_perms = "0770"
unix_sock_admin_perms = "0700"
auth_unix_ro = "none"
auth_unix_rw = "none"
log_filters = "{log_filters}"
log_outputs = "{log_level}:file:{root}/libvirtd.log"
max_clients = 50
keepalive_interval = -1
admin_keepalive_interval = -1
"""

DEFAULT_LOG_FILTERS = "1:qemu.qemu_monitor 1:qemu.qemu_agent 1:qemu.qemu_process 3:rpc 3:util 3:event 3:remote"


class LibvirtdError(RuntimeError):
    """libvirtd failed to start or virsh failed; the message ends with the log tail."""


def missing_tools() -> list[str]:
    """Names of the programs this harness needs that are not installed (empty when ready)."""
    missing = [name for name in ("libvirtd", "virsh", "unshare", "mount") if shutil.which(name) is None]
    qemu_driver = [
        Path(d) / "libvirt/connection-driver/libvirt_driver_qemu.so"
        for d in ("/usr/lib/x86_64-linux-gnu", "/usr/lib/aarch64-linux-gnu", "/usr/lib64", "/usr/lib")
    ]
    if not any(p.exists() for p in qemu_driver) and not any(
        Path("/usr/lib").glob("*/libvirt/connection-driver/libvirt_driver_qemu.so")
    ):
        missing.append("libvirt-daemon-driver-qemu")
    return missing


def _mnt_ns(pid: int) -> str | None:
    try:
        return os.readlink(f"/proc/{pid}/ns/mnt")
    except OSError:
        return None


def _environ(pid: int) -> list[bytes]:
    """The environment a process was started with (empty when it is gone or unreadable)."""
    try:
        return Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
    except OSError:
        return []


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:  # a zombie counts as dead
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        return state != "Z"
    except OSError:
        return False


class PrivateLibvirtd:
    """A private root ``libvirtd``; use as a context manager.

    ``virsh(*args)`` runs the host's virsh against it (outside the namespace).
    Attributes: ``root`` (the temp dir), ``uri``, ``socket``, ``log_path``,
    ``pid`` (of the running daemon), ``namespaces`` (every mount namespace
    created so far).
    """

    def __init__(
        self,
        *,
        root: str | os.PathLike | None = None,
        qemu_conf_extra: str = "",
        libvirtd_conf_extra: str = "",
        log_filters: str = DEFAULT_LOG_FILTERS,
        log_level: int = 3,
        start_timeout: float = 30.0,
        stop_timeout: float = 10.0,
        keep: bool = False,
    ) -> None:
        if os.geteuid() != 0:
            raise LibvirtdError("PrivateLibvirtd needs root (a system libvirtd and mount namespaces)")
        self._own_root = root is None
        self.root = Path(tempfile.mkdtemp(prefix="libvirtd-")) if root is None else Path(root)
        self.root.mkdir(parents=True, exist_ok=True)
        self.socket = self.root / "libvirt-sock"
        self.uri = f"qemu+unix:///system?socket={self.socket}"
        self.log_path = self.root / "libvirtd.log"
        self.stdio_path = self.root / "libvirtd.stdio"
        self.qemu_conf_extra = qemu_conf_extra
        self.libvirtd_conf_extra = libvirtd_conf_extra
        self.log_filters = log_filters
        self.log_level = log_level
        self.start_timeout = start_timeout
        self.stop_timeout = stop_timeout
        self.keep = keep
        self.pid: int | None = None
        self.namespaces: list[str] = []
        self._proc: subprocess.Popen | None = None
        self._write_tree()

    # -- layout -------------------------------------------------------------

    def path(self, fixed: str) -> Path:
        """The real directory seen as ``fixed`` (e.g. ``/var/lib/libvirt``) inside the namespace."""
        fixed = fixed.rstrip("/")
        if fixed == "/run" or fixed.startswith("/run/"):
            return self.root / "run" / fixed[len("/run/"):] if fixed != "/run" else self.root / "run"
        return self.root / fixed.lstrip("/")

    def _write_tree(self) -> None:
        for fixed in STATE_PATHS:
            self.path(fixed).mkdir(parents=True, exist_ok=True)
        for sub in ("run/libvirt", "run/lock", "var/lib/libvirt/qemu/nvram", "var/cache/libvirt/qemu",
                    "var/log/libvirt/qemu", "etc/libvirt/qemu", "tmp"):
            (self.root / sub).mkdir(parents=True, exist_ok=True)
        etc = self.path("/etc/libvirt")
        (etc / "qemu.conf").write_text(QEMU_CONF + self.qemu_conf_extra)
        (etc / "libvirtd.conf").write_text(
            LIBVIRTD_CONF.format(root=self.root, log_filters=self.log_filters, log_level=self.log_level)
            + self.libvirtd_conf_extra
        )
        # Empty configs for the other daemons/clients libvirtd may read.
        for name in ("libvirt.conf", "libvirt-admin.conf", "virtlogd.conf", "virtlockd.conf", "qemu-lockd.conf"):
            (etc / name).touch()
        self._write_accounts()
        self._write_setup_script()

    def _write_accounts(self) -> None:
        """Private passwd/group adding libvirt-qemu/kvm/libvirt when the host lacks them."""
        import grp
        import pwd

        def has_user(name: str) -> bool:
            try:
                pwd.getpwnam(name)
                return True
            except KeyError:
                return False

        def has_group(name: str) -> bool:
            try:
                grp.getgrnam(name)
                return True
            except KeyError:
                return False

        self._accounts: list[tuple[str, Path]] = []
        extra_groups = [g for g in ("libvirt-qemu", "kvm", "libvirt") if not has_group(g)]
        if extra_groups:
            text = Path("/etc/group").read_text()
            if text and not text.endswith("\n"):
                text += "\n"
            gids = {"libvirt-qemu": 64055, "kvm": 64056, "libvirt": 64057}
            text += "".join(f"{g}:x:{gids[g]}:\n" for g in extra_groups)
            (self.root / "group").write_text(text)
            self._accounts.append(("/etc/group", self.root / "group"))
        if not has_user("libvirt-qemu"):
            text = Path("/etc/passwd").read_text()
            if text and not text.endswith("\n"):
                text += "\n"
            text += "libvirt-qemu:x:64055:64055:Libvirt Qemu,,,:/var/lib/libvirt:/usr/sbin/nologin\n"
            (self.root / "passwd").write_text(text)
            self._accounts.append(("/etc/passwd", self.root / "passwd"))

    def _write_setup_script(self) -> None:
        """The shell script run as ``unshare --mount --propagation private sh SCRIPT``."""
        q = shlex.quote
        stash = self.root / "ns-stash"
        lines = [
            "#!/bin/sh",
            "# Run inside a private mount namespace; then exec libvirtd.",
            "set -eu",
            # Fresh per namespace: the stash holds the original parents while a tmpfs covers them.
            f"mkdir -p {q(str(stash))}",
            f"mount -t tmpfs -o mode=0755,size=1m nsstash {q(str(stash))}",
            "cover_parent() {  # $1 parent dir, $2 stash name: tmpfs over $1, original entries bound back",
            f'  mkdir -p {q(str(stash))}/"$2"',
            f'  mount --rbind "$1" {q(str(stash))}/"$2"',
            '  mount -t tmpfs -o mode=0755 nsparent "$1"',
            f'  for e in {q(str(stash))}/"$2"/* {q(str(stash))}/"$2"/.[!.]*; do',
            '    [ -e "$e" ] || [ -L "$e" ] || continue',
            '    b=$(basename "$e")',
            '    if [ -L "$e" ]; then cp -P "$e" "$1/$b"',
            '    elif [ -d "$e" ]; then mkdir "$1/$b"; mount --rbind "$e" "$1/$b"',
            '    else touch "$1/$b"; mount --bind "$e" "$1/$b"; fi',
            "  done",
            "}",
        ]
        for n, fixed in enumerate(STATE_PATHS):
            if not os.path.isdir(fixed):
                parent = os.path.dirname(fixed)
                if not os.path.isdir(parent):
                    raise LibvirtdError(f"{parent} does not exist; cannot create the mount point {fixed}")
                lines.append(f"[ -d {q(fixed)} ] || cover_parent {q(parent)} p{n}")
                lines.append(f"mkdir -p {q(fixed)}")
            lines.append(f"mount --bind {q(str(self.path(fixed)))} {q(fixed)}")
        # The whole of /run: no dbus/systemd sockets are visible, libvirt's pid/locks stay private.
        lines.append(f"mount --bind {q(str(self.root / 'run'))} /run")
        for target, source in self._accounts:
            lines.append(f"mount --bind {q(str(source))} {q(target)}")
        lines += [
            f"export TMPDIR={q(str(self.root / 'tmp'))}",
            "unset LIBVIRT_DEFAULT_URI DBUS_SESSION_BUS_ADDRESS DBUS_SYSTEM_BUS_ADDRESS NOTIFY_SOCKET LISTEN_PID LISTEN_FDS",
            f"exec libvirtd --config {q(str(self.path('/etc/libvirt') / 'libvirtd.conf'))}"
            f" --pid-file {q(str(self.root / 'libvirtd.pid'))}",
        ]
        script = self.root / "ns-setup.sh"
        script.write_text("\n".join(lines) + "\n")
        script.chmod(0o755)

    # -- lifecycle ----------------------------------------------------------

    def __enter__(self) -> "PrivateLibvirtd":
        try:
            self.start()
        except BaseException:
            self.cleanup()
            raise
        return self

    def __exit__(self, *exc) -> None:
        self.cleanup()

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def start(self) -> None:
        """Start libvirtd in a new private namespace; return once virsh can talk to it."""
        if self.running:
            raise LibvirtdError("libvirtd is already running")
        for stale in (self.socket, self.root / "libvirt-sock-ro", self.root / "libvirt-admin-sock"):
            stale.unlink(missing_ok=True)
        (self.root / "libvirtd.pid").unlink(missing_ok=True)
        env = {k: v for k, v in os.environ.items() if not k.startswith(("LIBVIRT_", "DBUS_", "XDG_"))}
        env["PATH"] = env.get("PATH", "/usr/sbin:/usr/bin:/sbin:/bin")
        if "/usr/sbin" not in env["PATH"].split(":"):
            env["PATH"] += ":/usr/sbin:/sbin"
        with open(self.stdio_path, "ab") as out:
            self._proc = subprocess.Popen(
                ["unshare", "--mount", "--propagation", "private", "/bin/sh", str(self.root / "ns-setup.sh")],
                stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT, env=env,
                start_new_session=True, cwd=str(self.root),
            )
        self.pid = self._proc.pid
        deadline = time.monotonic() + self.start_timeout
        while True:
            ns = _mnt_ns(self.pid)
            if ns and ns != _mnt_ns(os.getpid()) and ns not in self.namespaces:
                self.namespaces.append(ns)
            if self._proc.poll() is not None:
                raise LibvirtdError(f"libvirtd exited with status {self._proc.returncode}\n{self.log_tail()}")
            if self.socket.exists():
                r = self._run_virsh(["uri"], timeout=max(1.0, deadline - time.monotonic()))
                if r.returncode == 0:
                    return
            if time.monotonic() > deadline:
                self.stop()
                raise LibvirtdError(f"libvirtd did not answer within {self.start_timeout:.0f}s\n{self.log_tail()}")
            time.sleep(0.05)

    def stop(self, sig: int = signal.SIGTERM) -> None:
        """Stop the daemon only (domains keep running, as on a host); SIGKILL after ``stop_timeout``."""
        proc, self._proc = self._proc, None
        if proc is None:
            return
        if proc.poll() is None:
            try:
                proc.send_signal(sig)
                proc.wait(timeout=self.stop_timeout)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=self.stop_timeout)
        self.pid = None

    def kill(self) -> None:
        """SIGKILL the daemon (a crash); domains keep running."""
        self.stop(signal.SIGKILL)

    def restart(self, sig: int = signal.SIGKILL) -> None:
        """Kill libvirtd (SIGKILL by default) and start a new one on the same state."""
        self.stop(sig)
        self.start()

    def cleanup(self) -> None:
        """Destroy domains, kill every process of our namespaces, stop the daemon, remove the temp dir."""
        try:
            if self.running:
                r = self._run_virsh(["list", "--name"], timeout=10)
                for name in r.stdout.split() if r.returncode == 0 else []:
                    self._run_virsh(["destroy", name], timeout=15)
        except Exception:
            pass
        self.stop()
        self.kill_namespace_processes()
        if self._own_root and not self.keep:
            shutil.rmtree(self.root, ignore_errors=True)

    def namespace_pids(self) -> list[int]:
        """Processes (other than us) of this instance: daemon and emulators.

        Mount namespace numbers are reused as soon as a namespace is freed, so a
        namespace id alone could name another run's daemon; a process is ours only
        when it is in one of our namespaces *and* inherited our ``TMPDIR`` (the
        setup script exports it; libvirtd passes it on to the emulators).
        """
        if not self.namespaces:
            return []
        marker = f"TMPDIR={self.root / 'tmp'}".encode()
        pids = []
        for entry in os.listdir("/proc"):
            if not entry.isdigit() or int(entry) == os.getpid():
                continue
            if _mnt_ns(int(entry)) in self.namespaces and marker in _environ(int(entry)):
                pids.append(int(entry))
        return pids

    def kill_namespace_processes(self, timeout: float = 5.0) -> None:
        pids = self.namespace_pids()
        for sig in (signal.SIGTERM, signal.SIGKILL):
            for pid in pids:
                try:
                    os.kill(pid, sig)
                except ProcessLookupError:
                    pass
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline and any(_pid_alive(p) for p in pids):
                time.sleep(0.05)
            pids = [p for p in pids if _pid_alive(p)]
            if not pids:
                return

    # -- virsh and logs -----------------------------------------------------

    def _run_virsh(self, args, timeout: float, input: str | None = None) -> subprocess.CompletedProcess:
        env = {k: v for k, v in os.environ.items() if not k.startswith("LIBVIRT_")}
        env["LC_ALL"] = "C"
        try:
            return subprocess.run(
                ["virsh", "-q", "-c", self.uri, *map(str, args)],
                capture_output=True, text=True, timeout=timeout, env=env, input=input,
                stdin=None if input is not None else subprocess.DEVNULL,
            )
        except subprocess.TimeoutExpired as e:
            return subprocess.CompletedProcess(e.cmd, -9, e.stdout or "", f"timed out after {timeout}s")

    def virsh(self, *args, check: bool = True, timeout: float = 30.0, input: str | None = None) -> subprocess.CompletedProcess:
        """Run ``virsh -q -c URI ARGS...``; raise :class:`LibvirtdError` (with the log tail) on failure if ``check``."""
        r = self._run_virsh(args, timeout=timeout, input=input)
        if check and r.returncode != 0:
            raise LibvirtdError(
                f"virsh {' '.join(map(str, args))} failed ({r.returncode}):\n{r.stdout}{r.stderr}\n{self.log_tail()}"
            )
        return r

    def log_tail(self, lines: int = 60) -> str:
        parts = []
        for path in (self.log_path, self.stdio_path):
            try:
                text = path.read_text(errors="replace").splitlines()[-lines:]
            except OSError:
                continue
            parts.append(f"--- {path} (last {len(text)} lines) ---\n" + "\n".join(text))
        return "\n".join(parts)

    def domain_log(self, name: str) -> str:
        """The emulator's stdout/stderr log libvirt keeps for domain ``name``."""
        try:
            return (self.path("/var/log/libvirt") / "qemu" / f"{name}.log").read_text(errors="replace")
        except OSError:
            return ""
