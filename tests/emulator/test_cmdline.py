"""QEMU's command line as libvirt 9.0 writes it and as people type it (system/vl.c,
util/qemu-option.c, util/keyval.c, chardev/char.c), with QEMU's error texts."""

from __future__ import annotations

import pytest
from hypothesis import given, strategies as st

from vcpu_hotplug.emulator.cmdline import (
    QEMU_OPTIONS, REMOVED_OPTIONS, CommandLineError, parse_command_line, parse_memory_size,
)

MiB = 1024 * 1024

PROBE = ("-S -no-user-config -nodefaults -nographic -machine none,accel=kvm:tcg "
         "-qmp unix:/var/lib/libvirt/qemu/capabilities.monitor.sock,server=on,wait=off "
         "-pidfile /var/lib/libvirt/qemu/capabilities.pidfile -daemonize").split(" ")

SECRET_JSON = ('{"qom-type":"secret","id":"masterKey0","format":"raw",'
               '"file":"/var/lib/libvirt/qemu/domain-1-arm/master-key.aes"}')
DOMAIN_HEAD = ["-name", "guest=arm,debug-threads=on", "-S", "-object", SECRET_JSON]
DOMAIN_TAIL = (
    "-accel tcg -cpu cortex-a57 -m 512 "
    '-object {"qom-type":"memory-backend-ram","id":"mach-virt.ram","size":536870912} '
    "-overcommit mem-lock=off -smp 2,maxcpus=8,sockets=1,cores=8,threads=1 "
    "-uuid 6b3c3f9c-2d3e-4f51-9d49-6a3c1d4e2f10 -display none -no-user-config -nodefaults "
    "-chardev socket,id=charmonitor,fd=23,server=on,wait=off "
    "-mon chardev=charmonitor,id=monitor,mode=control -rtc base=utc -no-shutdown"
).split(" ")
MACHINE = "virt-9.1,usb=off,gic-version=3,dump-guest-core=off,memory-backend=mach-virt.ram"
AUDIO_JSON = '{"id":"audio1","driver":"none"}'
DOMAIN = (DOMAIN_HEAD + ["-machine", MACHINE] + DOMAIN_TAIL
          + ["-no-acpi", "-boot", "strict=on", "-audiodev", AUDIO_JSON, "-msg", "timestamp=on"])

PFLASH0 = ('{"driver":"file","filename":"/usr/share/AAVMF/AAVMF_CODE.fd",'
           '"node-name":"libvirt-pflash0-storage","auto-read-only":true,"discard":"unmap"}')
PFLASH0_FMT = ('{"node-name":"libvirt-pflash0-format","read-only":true,"driver":"raw",'
               '"file":"libvirt-pflash0-storage"}')
PFLASH1 = ('{"driver":"file","filename":"/var/lib/libvirt/qemu/nvram/arm_VARS.fd",'
           '"node-name":"libvirt-pflash1-storage","auto-read-only":true,"discard":"unmap"}')
PFLASH1_FMT = ('{"node-name":"libvirt-pflash1-format","read-only":false,"driver":"raw",'
               '"file":"libvirt-pflash1-storage"}')
UEFI = (
    DOMAIN_HEAD
    + ["-blockdev", PFLASH0, "-blockdev", PFLASH0_FMT, "-blockdev", PFLASH1, "-blockdev", PFLASH1_FMT,
       "-machine", MACHINE + ",pflash0=libvirt-pflash0-format,pflash1=libvirt-pflash1-format"]
    + DOMAIN_TAIL
    + ["-boot", "strict=on",
       "-kernel", "/var/lib/libvirt/images/Image", "-initrd", "/var/lib/libvirt/images/initrd",
       "-append", "console=ttyAMA0",
       "-device", '{"driver":"pcie-root-port","port":8,"chassis":1,"id":"pci.1","bus":"pcie.0",'
                  '"multifunction":true,"addr":"0x1"}',
       "-device", '{"driver":"virtio-serial-pci","id":"virtio-serial0","bus":"pci.1","addr":"0x0"}',
       "-add-fd", "set=0,fd=26,opaque=serial0-log",
       "-chardev", "pty,id=charserial0,logfile=/dev/fdset/0,logappend=on",
       "-serial", "chardev:charserial0",
       "-chardev", "socket,id=charchannel0,fd=25,server=on,wait=off",
       "-device", '{"driver":"virtserialport","bus":"virtio-serial0.0","nr":1,"chardev":"charchannel0",'
                  '"id":"channel0","name":"org.qemu.guest_agent.0"}',
       "-audiodev", AUDIO_JSON,
       "-sandbox", "on,obsolete=deny,elevateprivileges=deny,spawn=deny,resourcecontrol=deny",
       "-msg", "timestamp=on"]
)


def error_of(argv: list[str]) -> CommandLineError:
    with pytest.raises(CommandLineError) as info:
        parse_command_line(argv)
    return info.value


# --- libvirt's command lines ---------------------------------------------------------


def test_capability_probe():
    cmd = parse_command_line(PROBE)
    assert cmd.start_paused and cmd.daemonize and cmd.nographic
    assert cmd.pidfile == "/var/lib/libvirt/qemu/capabilities.pidfile"
    assert cmd.machine.type == "none"
    assert cmd.accelerators == ("kvm", "tcg")
    (monitor,) = cmd.monitors
    assert monitor.mode == "control" and not monitor.pretty
    # monitor_parse() labels the chardev it makes for -qmp compat_monitor0
    assert monitor.chardev.id == "compat_monitor0" == monitor.id
    assert monitor.chardev.backend == "socket"
    assert monitor.chardev.path == "/var/lib/libvirt/qemu/capabilities.monitor.sock"
    assert monitor.chardev.server is True and monitor.chardev.wait is False
    assert cmd.chardevs == {"compat_monitor0": monitor.chardev}
    assert cmd.unmodelled == (("-no-user-config", None), ("-nodefaults", None))


def test_domain_start():
    cmd = parse_command_line(DOMAIN)
    assert cmd.name == "arm" and cmd.start_paused and not cmd.daemonize
    assert cmd.machine.type == "virt-9.1"
    assert cmd.machine.options == {"usb": "off", "gic-version": "3", "dump-guest-core": "off",
                                   "memory-backend": "mach-virt.ram"}
    assert cmd.accelerators == ("tcg",)
    assert cmd.cpu_model == "cortex-a57" and cmd.cpu_props == {}
    assert cmd.memory_bytes == 512 * MiB
    assert cmd.smp == "2,maxcpus=8,sockets=1,cores=8,threads=1"
    assert cmd.uuid == "6b3c3f9c-2d3e-4f51-9d49-6a3c1d4e2f10"
    assert cmd.display == "none" and not cmd.nographic
    assert cmd.no_shutdown and not cmd.no_reboot
    assert cmd.acpi is False
    (monitor,) = cmd.monitors
    assert (monitor.mode, monitor.id) == ("control", "monitor")
    assert monitor.chardev.id == "charmonitor" and monitor.chardev.fd == 23
    assert monitor.chardev.path is None and monitor.chardev.server and not monitor.chardev.wait
    assert cmd.objects == (
        {"qom-type": "secret", "id": "masterKey0", "format": "raw",
         "file": "/var/lib/libvirt/qemu/domain-1-arm/master-key.aes"},
        {"qom-type": "memory-backend-ram", "id": "mach-virt.ram", "size": 536870912},
    )
    names = [name for name, _ in cmd.unmodelled]
    assert names == ["-overcommit", "-no-user-config", "-nodefaults", "-rtc", "-boot", "-audiodev", "-msg"]
    assert ("-overcommit", "mem-lock=off") in cmd.unmodelled
    assert cmd.guest_agent_chardev() is None


def test_domain_start_with_key_value_object_and_audiodev():
    argv = [("secret,id=masterKey0,format=raw,file=/x" if arg == SECRET_JSON else
             "id=audio1,driver=none" if arg == AUDIO_JSON else arg) for arg in DOMAIN]
    cmd = parse_command_line(argv)
    assert cmd.objects[0] == {"qom-type": "secret", "id": "masterKey0", "format": "raw", "file": "/x"}
    assert ("-audiodev", "id=audio1,driver=none") in cmd.unmodelled


def test_acpi_uefi_start_with_guest_agent():
    cmd = parse_command_line(UEFI)
    assert cmd.acpi is True
    assert cmd.machine.options["pflash0"] == "libvirt-pflash0-format"
    assert cmd.machine.options["pflash1"] == "libvirt-pflash1-format"
    assert [b["node-name"] for b in cmd.blockdevs] == [
        "libvirt-pflash0-storage", "libvirt-pflash0-format", "libvirt-pflash1-storage", "libvirt-pflash1-format"]
    assert cmd.blockdevs[0]["auto-read-only"] is True  # JSON keeps JSON types
    agent = cmd.guest_agent_chardev()
    assert agent is not None and agent.id == "charchannel0" and agent.fd == 25 and agent.server
    port = cmd.devices[-1]
    assert (port.driver, port.id, port.props["nr"]) == ("virtserialport", "channel0", 1)
    root_port = cmd.devices[0]
    assert root_port.driver == "pcie-root-port" and root_port.props["multifunction"] is True
    assert cmd.add_fds == ({"fd": 26, "set": 0, "opaque": "serial0-log"},)
    assert cmd.chardevs["charserial0"].backend == "pty"
    assert cmd.chardevs["charserial0"].options == {"logfile": "/dev/fdset/0", "logappend": "on"}
    assert ("-serial", "chardev:charserial0") in cmd.unmodelled
    assert cmd.kernel == "/var/lib/libvirt/images/Image"
    assert cmd.initrd == "/var/lib/libvirt/images/initrd"
    assert cmd.append == "console=ttyAMA0"
    assert ("-sandbox", "on,obsolete=deny,elevateprivileges=deny,spawn=deny,resourcecontrol=deny") \
        in cmd.unmodelled


# --- hand-typed forms ---------------------------------------------------------------------


def test_qmp_short_form_booleans():
    (monitor,) = parse_command_line(["-qmp", "unix:/tmp/vm.sock,server,nowait"]).monitors
    assert monitor.chardev.path == "/tmp/vm.sock"
    assert monitor.chardev.server is True and monitor.chardev.wait is False


def test_qmp_tcp():
    (monitor,) = parse_command_line(["-qmp", "tcp:127.0.0.1:4444,server=on,wait=off"]).monitors
    chardev = monitor.chardev
    assert (chardev.backend, chardev.host, chardev.port, chardev.path) == ("socket", "127.0.0.1", "4444", None)
    assert chardev.server and not chardev.wait


def test_qmp_pretty_and_hmp_monitor_number_their_compat_chardevs():
    cmd = parse_command_line(["-monitor", "stdio", "-qmp-pretty", "tcp::4444,server=on"])
    hmp, qmp = cmd.monitors
    assert (hmp.mode, hmp.chardev.id, hmp.chardev.backend) == ("readline", "compat_monitor0", "stdio")
    assert (qmp.mode, qmp.pretty, qmp.chardev.id, qmp.chardev.host) == ("control", True, "compat_monitor1", "")
    assert qmp.chardev.wait is True  # server=on without wait=off waits, as QEMU does


def test_monitor_none_makes_no_monitor():
    assert parse_command_line(["-monitor", "none"]).monitors == ()


def test_mon_on_a_chardev_defined_later():
    cmd = parse_command_line(["-mon", "chardev=m,mode=control",
                              "-chardev", "socket,id=m,path=/tmp/m.sock,server=on,wait=off"])
    (monitor,) = cmd.monitors
    assert monitor.chardev.path == "/tmp/m.sock" and monitor.mode == "control" and monitor.id is None


def test_mon_defaults_to_readline_and_takes_the_implied_chardev_key():
    cmd = parse_command_line(["-chardev", "stdio,id=s", "-mon", "s"])
    assert cmd.monitors[0].mode == "readline" and cmd.monitors[0].chardev.backend == "stdio"


@pytest.mark.parametrize("arg, expected", [
    ("2G", 2 * 1024 * MiB), ("size=1024M", 1024 * MiB), ("512", 512 * MiB), ("1.5G", 1536 * MiB),
    ("4096k", 4 * MiB), ("1024M,slots=2,maxmem=4G", 1024 * MiB), ("0", None),
])
def test_memory(arg, expected):
    assert parse_command_line(["-m", arg]).memory_bytes == expected


@pytest.mark.parametrize("text, expected", [
    ("512", 512 * MiB), ("2G", 2 << 30), ("2g", 2 << 30), ("100b", 100), ("1T", 1 << 40),
    ("0.5G", 512 * MiB), (".5M", 512 * 1024), ("1.M", MiB),
])
def test_parse_memory_size(text, expected):
    assert parse_memory_size(text) == expected


def test_repeated_m_merges():
    assert parse_command_line(["-m", "1G", "-m", "slots=2,maxmem=4G"]).memory_bytes == 1 << 30


def test_hand_forms():
    cmd = parse_command_line(["-M", "virt,gic-version=3", "-cpu", "max,sve=off", "--smp", "4",
                              "-enable-kvm", "-nographic", "-incoming", "defer",
                              "-device", "driver=host-arm-cpu,id=cpu4,core-id=4"])
    assert cmd.machine.type == "virt" and cmd.machine.options == {"gic-version": "3"}
    assert (cmd.cpu_model, cmd.cpu_props) == ("max", {"sve": "off"})
    assert cmd.smp == "4"
    assert cmd.accelerators == ("kvm",)
    assert cmd.nographic and cmd.incoming == "defer"
    (device,) = cmd.devices
    assert (device.driver, device.id, device.props) == ("host-arm-cpu", "cpu4", {"core-id": "4"})


def test_small_hand_forms():
    assert parse_command_line(["-smp", "cpus=2,maxcpus=8"]).smp == "cpus=2,maxcpus=8"
    assert parse_command_line(["-machine", "virt"]).machine.options == {}
    assert parse_command_line(["-cpu", "host"]).cpu_model == "host"
    assert parse_command_line(["-device", "virtio-net-pci,netdev=n0"]).devices[0].props == {"netdev": "n0"}
    assert parse_command_line([]).machine is None


def test_machine_options_merge_and_later_values_win():
    cmd = parse_command_line(["-machine", "virt,acpi=on", "-machine", "acpi=off,highmem=off"])
    assert cmd.machine.options == {"acpi": "off", "highmem": "off"} and cmd.acpi is False


def test_accelerators_from_repeated_accel():
    cmd = parse_command_line(["-accel", "kvm", "-accel", "tcg,thread=multi"])
    assert cmd.accelerators == ("kvm", "tcg")


def test_unmodelled_options_are_kept_in_order():
    cmd = parse_command_line(["-global", "virtio-pci.disable-legacy=on", "-vnc", ":0", "-snapshot",
                              "-d", "guest_errors", "-D", "/tmp/log", "-trace", "events=/tmp/e",
                              "-L", "/usr/share/qemu", "-k", "en-us", "-no-hpet", "-realtime", "mlock=off"])
    assert cmd.unmodelled == (
        ("-global", "virtio-pci.disable-legacy=on"), ("-vnc", ":0"), ("-snapshot", None),
        ("-d", "guest_errors"), ("-D", "/tmp/log"), ("-trace", "events=/tmp/e"),
        ("-L", "/usr/share/qemu"), ("-k", "en-us"), ("-no-hpet", None), ("-realtime", "mlock=off"))


def test_every_option_of_the_table_is_accepted():
    for name, takes_arg in list(QEMU_OPTIONS.items()) + [(n, a) for n, (a, _) in REMOVED_OPTIONS.items()]:
        if name in ("g", "win2k-hack", "no-fd-bootchk", "acpitable", "prom-env"):
            continue
        if name in ("machine", "M", "m", "smp", "name", "uuid", "accel", "chardev", "mon", "qmp",
                    "qmp-pretty", "monitor", "serial", "parallel", "debugcon", "device", "object",
                    "blockdev", "audiodev", "add-fd", "overcommit", "msg", "rtc", "action",
                    "sandbox", "boot", "display", "cpu", "append", "initrd"):
            continue  # modelled or validated: covered by their own tests
        argv = ["-" + name] + (["x"] if takes_arg else [])
        parse_command_line(argv)


def test_options_libvirt_writes_are_in_the_table():
    for name in ("name", "S", "object", "machine", "M", "accel", "cpu", "m", "overcommit", "smp", "uuid",
                 "display", "no-user-config", "nodefaults", "chardev", "mon", "qmp", "rtc", "no-shutdown",
                 "no-reboot", "boot", "audiodev", "msg", "blockdev", "drive", "device", "netdev",
                 "add-fd", "serial", "parallel", "kernel", "initrd", "append", "dtb", "sandbox", "global",
                 "smbios", "bios", "pidfile", "daemonize", "nographic", "incoming", "enable-kvm", "vnc",
                 "spice", "vga", "usb", "usbdevice", "fsdev", "tpmdev", "numa", "mem-path",
                 "mem-prealloc", "compat", "action", "set", "d", "D", "trace", "L", "fw_cfg", "run-with",
                 "monitor", "debugcon", "icount", "k", "snapshot", "loadvm", "nic", "net", "iscsi",
                 "full-screen", "watchdog-action", "semihosting-config", "plugin", "only-migratable",
                 "readconfig", "seed", "preconfig", "qmp-pretty", "gdb", "s", "echr"):
        assert name in QEMU_OPTIONS, name
    for name in ("no-acpi", "no-hpet", "realtime", "sdl", "writeconfig"):
        assert name in REMOVED_OPTIONS, name


# --- QemuOpts escaping ----------------------------------------------------------------------

@given(st.text(alphabet=st.characters(blacklist_characters="\x00", blacklist_categories=("Cs",)),
               min_size=1, max_size=40))
def test_comma_escaping_round_trips(value):
    escaped = value.replace(",", ",,")
    cmd = parse_command_line(["-chardev", f"file,id=f,path={escaped},logappend=on"])
    assert cmd.chardevs["f"].path == value
    assert cmd.chardevs["f"].options == {"logappend": "on"}


@given(st.text(alphabet="abc,=/ ", min_size=1, max_size=20))
def test_comma_escaping_round_trips_in_keyval(value):
    cmd = parse_command_line(["-machine", "virt,firmware=" + value.replace(",", ",,")])
    assert cmd.machine.options == {"firmware": value}


def test_implied_first_key_takes_escaped_commas():
    cmd = parse_command_line(["-object", "secret,,x,id=s0"])
    assert cmd.objects == ({"qom-type": "secret,x", "id": "s0"},)


# --- errors ------------------------------------------------------------------------------------

@pytest.mark.parametrize("argv, message", [
    (["-foo"], "-foo: invalid option"),
    (["--foo", "1"], "--foo: invalid option"),
    (["-"], "-: invalid option"),
    (["-m"], "-m: requires an argument"),
    (["--smp"], "--smp: requires an argument"),
    (["-g", "800x600"], "-g 800x600: Option not supported for this target"),
    (["-m", "2X"], "-m 2X: Parameter 'size' expects a non-negative number below 2^64"),
    (["-m", "1.5"], "-m 1.5: Parameter 'size' expects a non-negative number below 2^64"),
    (["-m", "0x20M"], "-m 0x20M: Parameter 'size' expects a non-negative number below 2^64"),
    (["-m", "-1"], "-m -1: Value '-1' is out of range for parameter 'size'"),
    (["-m", "16E"], "-m 16E: Value '16E' is out of range for parameter 'size'"),
    (["-m", "1G,slot=2"], "-m 1G,slot=2: Invalid parameter 'slot'"),
    (["-m", "1G,slots=two"], "-m 1G,slots=two: Parameter 'slots' expects a number"),
    (["-name", "arm,debug-threads=maybe"],
     "-name arm,debug-threads=maybe: Parameter 'debug-threads' expects 'on' or 'off'"),
    (["-name", "guest=arm,id=x"], "-name guest=arm,id=x: Invalid parameter 'id'"),
    (["-uuid", "not-a-uuid"], "-uuid not-a-uuid: failed to parse UUID string: wrong format"),
    (["-machine", "virt,gic-version"], "-machine virt,gic-version: Expected '=' after parameter 'gic-version'"),
    (["-machine", "virt,a b=1"], "-machine virt,a b=1: Invalid parameter 'a b'"),
    (["-chardev", "socket,path=/tmp/s,server=on"],
     "-chardev socket,path=/tmp/s,server=on: chardev: no id specified"),
    (["-chardev", "id=c"], "-chardev id=c: chardev: \"c\" missing backend"),
    (["-chardev", "tty,id=c,path=/dev/ttyS0"], "-chardev tty,id=c,path=/dev/ttyS0: 'tty' is not a valid char driver name"),
    (["-chardev", "socket,id=c"], "-chardev socket,id=c: chardev: socket: no host given"),
    (["-chardev", "socket,id=c,host=localhost"], "-chardev socket,id=c,host=localhost: chardev: socket: no port given"),
    (["-chardev", "socket,id=c,path=/s,fd=3"],
     "-chardev socket,id=c,path=/s,fd=3: None or one of 'path', 'fd' or 'host' option required."),
    (["-chardev", "socket,id=c,fd=abc,server=on"],
     "-chardev socket,id=c,fd=abc,server=on: Invalid file descriptor number 'abc'"),
    (["-chardev", "socket,id=c,path=/s,server=maybe"],
     "-chardev socket,id=c,path=/s,server=maybe: Parameter 'server' expects 'on' or 'off'"),
    (["-chardev", "socket,id=c,path=/s,colour=red"], "-chardev socket,id=c,path=/s,colour=red: Invalid parameter 'colour'"),
    (["-chardev", "socket,id=9c,path=/s"], "-chardev socket,id=9c,path=/s: Parameter 'id' expects an identifier"),
    (["-chardev", "file,id=f"], "-chardev file,id=f: chardev: file: no filename given"),
    (["-chardev", "null,id=c", "-chardev", "null,id=c"], "-chardev null,id=c: Duplicate ID 'c' for chardev"),
    (["-mon", "chardev=x,mode=control"], '-mon chardev=x,mode=control: chardev "x" not found'),
    (["-chardev", "null,id=x", "-mon", "x,mode=json"], "-mon x,mode=json: Parameter 'mode' does not accept value 'json'"),
    (["-chardev", "null,id=x", "-mon", "x,pretty=on"], "-mon x,pretty=on: 'pretty' is not compatible with HMP monitors"),
    (["-mon", "mode=control"], "-mon mode=control: Parameter 'chardev' is missing"),
    (["-qmp", "chardev:nothere"], '-qmp chardev:nothere: chardev "nothere" not found'),
    (["-qmp", "bogus"], "-qmp bogus: 'bogus' is not a valid char driver"),
    (["-serial", "chardev:nothere"],
     "-serial chardev:nothere: could not connect serial device to character backend 'chardev:nothere'"),
    (["-object", '{"qom-type":"secret"'], None),
    (["-object", '{"qom-type":"secret","qom-type":"secret","id":"s"}'],
     '-object {"qom-type":"secret","qom-type":"secret","id":"s"}: JSON parse error, duplicate key'),
    (["-object", "id=s0"], "-object id=s0: Parameter 'qom-type' is missing"),
    (["-object", '{"qom-type":"secret"}'], "-object {\"qom-type\":\"secret\"}: Parameter 'id' is missing"),
    (["-object", "iothread,id=t", "-object", "iothread,id=t"],
     "-object iothread,id=t: attempt to add duplicate property 't' to object (type 'container')"),
    (["-device", "id=d0"], "-device id=d0: Parameter 'driver' is missing"),
    (["-device", '{"id":"d0"}'], '-device {"id":"d0"}: Parameter \'driver\' is missing'),
    (["-device", "e1000,id=n", "-device", "e1000,id=n"], "-device e1000,id=n: Duplicate ID 'n' for device"),
    (["-blockdev", "node-name=n"], "-blockdev node-name=n: Parameter 'driver' is missing"),
    (["-audiodev", "none"], "-audiodev none: Parameter 'id' is missing"),
    (["-add-fd", "set=0"], "-add-fd set=0: fd option is required and must be non-negative"),
    (["-add-fd", "fd=1,set=0"], "-add-fd fd=1,set=0: fd cannot be a standard I/O stream"),
    (["-add-fd", "fd=26"], "-add-fd fd=26: set option is required and must be non-negative"),
    (["-overcommit", "mem-lock=maybe"], "-overcommit mem-lock=maybe: Parameter 'mem-lock' expects 'on' or 'off'"),
    (["-msg", "colour=on"], "-msg colour=on: Invalid parameter 'colour'"),
    (["-cpu", "max,sve"], "-cpu max,sve: Expected key=value format, found sve."),
    (["-display", "vnc"], "-display vnc: VNC requires a display argument vnc=<display>"),
    (["-display", "teletype"], "-display teletype: Parameter 'type' does not accept value 'teletype'"),
    (["-accel", "thread=multi"], "-accel thread=multi: Parameter 'accel' is missing"),
    (["-accel", "tcg", "-machine", "virt,accel=kvm"], 'The -accel and "-machine accel=" options are incompatible'),
    (["-enable-kvm", "-accel", "tcg"], 'The -accel and "-machine accel=" options are incompatible'),
    (["-append", "console=ttyAMA0"], "-append only allowed with -kernel option"),
    (["-initrd", "/i"], "-initrd only allowed with -kernel option"),
    (["-nographic", "-daemonize"], "-nographic cannot be used with -daemonize"),
    (["-loadvm", "snap", "-incoming", "defer"], "'incoming' and 'loadvm' options are mutually exclusive"),
])
def test_errors(argv, message):
    err = error_of(argv)
    if message is not None:
        assert str(err) == message
    else:
        assert str(err).startswith('-object {"qom-type":"secret": JSON parse error, ')


def test_error_attributes_name_the_option():
    err = error_of(["-m", "2X"])
    assert (err.option, err.argument) == ("-m", "2X")
    assert err.reason == "Parameter 'size' expects a non-negative number below 2^64"
    assert err.hint.startswith("Optional suffix k, M, G, T, P or E")
    err = error_of(["-accel", "tcg", "-enable-kvm"])
    assert err.option is None


def test_bare_word_is_refused_as_a_disk_image():
    err = error_of(["-S", "disk.qcow2"])
    assert err.option == "disk.qcow2"
    assert str(err).startswith("disk.qcow2: disk image given as a bare argument: QEMU would attach it as -hda")


def test_parse_memory_size_errors_read_as_qemu():
    with pytest.raises(CommandLineError) as info:
        parse_memory_size("12Q")
    assert str(info.value) == "-m 12Q: Parameter 'size' expects a non-negative number below 2^64"


def test_nographic_with_daemonize_is_fine_when_defaults_are_redirected():
    cmd = parse_command_line(["-nographic", "-daemonize", "-serial", "null", "-qmp", "unix:/tmp/q,server=on"])
    assert cmd.nographic and cmd.daemonize
