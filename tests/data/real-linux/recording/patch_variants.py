#!/usr/bin/env python3
"""Make the project's ACPI tables into initrd table upgrades of QEMU RFC V5's, with a deliberate defect.

Linux's initrd ACPI table upgrade (``Documentation/admin-guide/acpi/initrd_table_override.rst``,
``CONFIG_ACPI_TABLE_UPGRADE=y``) replaces a firmware table by one from the initrd when its OEM ID and
OEM Table ID match and its OEM Revision is higher. This script is the recording rig's
``../shared/real-linux/patch_tables.py`` (the project's own shared rig code) with the variants issue 12
asked for that it lacks; for the variants both know it writes the same bytes (checked when recording).

usage: patch_variants.py OURS_DIR QEMU_DIR OUT_DIR [--variant NAME] [--check-dir DIR]

OURS_DIR  ``vcpu-hotplug tables emit --smp cpus=2,maxcpus=4`` output (APIC.dat, PPTT.dat, DSDT.aml)
QEMU_DIR  QEMU's own tables (``fwcfg_dump.py`` output: APIC, PPTT, DSDT, FACP, ...)
OUT_DIR   gets ``kernel/firmware/acpi/{APIC,PPTT,DSDT}.aml`` (the cpio root of the upgrade) and
          CHANGES.txt, every change (offset, field, old, new), also printed
--check-dir DIR  also writes the effective table set Linux ends up with (QEMU's tables with APIC,
          PPTT and DSDT replaced) for ``vcpu-hotplug check``

Every variant changes the header (OEM ID @10 and OEM Table ID @16 := QEMU's, OEM Revision @24 :=
QEMU's + 1, checksum @9) and only what it names:

  plain       nothing else
  flags09     MADT GICC UID 2: Flags 0x8 -> 0x9 (Enabled + Online Capable)
  dupmpidr    MADT GICC UID 3: MPIDR := GICC UID 2's
  nosta       DSDT Device C002: method NameSeg _STA -> XSTA (no _STA)
  sta0        DSDT Device C002: _STA body -> Return (Zero), Noop (0xA3) padding
  noej0       DSDT Device C002: method NameSeg _EJ0 -> XEJ0 (no _EJ0 on a non-boot CPU)
  uidnogicc   DSDT Device C002: Name (_UID, 0x02) -> Name (_UID, 0x09) (no GICC has UID 9)
  ppttnocpu2  PPTT: the leaf Processor Hierarchy Node with ACPI Processor ID 2 removed
              (later nodes move up; their Parent offsets point before it and are unchanged)
  gicrshort   MADT GICR structure: Discovery Range Length 0x80000 (4 redistributors of 0x20000,
              GICv3 without VLPIs) -> 0x40000 (2: only CPUs 0-1 are covered; maxcpus is 4)
"""
import os
import shutil
import struct
import sys

VARIANTS = ("plain", "flags09", "dupmpidr", "nosta", "sta0", "noej0", "uidnogicc", "ppttnocpu2", "gicrshort")
MADT_HEADER_LEN = 44          # SDT header + Local Interrupt Controller Address + Flags
PPTT_HEADER_LEN = 36
GICC_TYPE, GICR_TYPE = 0x0B, 0x0E
PPTT_PROCESSOR_TYPE = 0
GICR_REDIST_SIZE = 0x20000    # one GICv3 redistributor: RD_base + SGI_base frames (64 KiB each)
UNKNOWN_UID = 9

LOG = []


def log(s):
    LOG.append(s)
    print(s)


def find(d, sig):
    for n in (sig, sig + ".dat", sig + ".aml"):
        p = os.path.join(d, n)
        if os.path.exists(p):
            return p
    raise SystemExit("no %s in %s" % (sig, d))


def csum(b):
    b = bytearray(b)
    b[9] = 0
    b[9] = (-sum(b)) & 0xff
    return b


def hdr_patch(sig, ours, ref):
    b = bytearray(ours)
    assert b[0:4] == sig.encode() and ref[0:4] == sig.encode()
    old = (bytes(b[10:16]), bytes(b[16:24]), struct.unpack_from("<I", b, 24)[0])
    b[10:16] = ref[10:16]
    b[16:24] = ref[16:24]
    newrev = struct.unpack_from("<I", ref, 24)[0] + 1
    struct.pack_into("<I", b, 24, newrev)
    log("%s: OEM ID @10 %r -> %r; OEM Table ID @16 %r -> %r; OEM Revision @24 %d -> %d (QEMU's is %d)"
        % (sig, old[0], bytes(b[10:16]), old[1], bytes(b[16:24]), old[2], newrev, newrev - 1))
    return b


def madt_entries(b, etype):
    off = MADT_HEADER_LEN
    while off < len(b):
        t, n = b[off], b[off + 1]
        if t == etype:
            yield off
        off += n


def gicc_by_uid(b, uid):
    for off in madt_entries(b, GICC_TYPE):
        if struct.unpack_from("<I", b, off + 8)[0] == uid:
            return off
    raise SystemExit("no GICC with UID %d" % uid)


def pkg_length(b, at):
    """(value, bytes used) of the AML PkgLength at ``at`` (ACPI 6.5 section 20.2.4)."""
    lead = b[at]
    nbytes = lead >> 6
    if nbytes == 0:
        return lead & 0x3f, 1
    value = lead & 0x0f
    for k in range(nbytes):
        value |= b[at + 1 + k] << (4 + 8 * k)
    return value, 1 + nbytes


def dev_span(b, name):
    """(start, end) of Device(name) in AML b: DeviceOp 5B 82, PkgLength, NameSeg."""
    i = 0
    while True:
        i = b.find(b"\x5b\x82", i)
        if i < 0:
            raise SystemExit("Device %s not found" % name)
        plen, used = pkg_length(b, i + 2)
        nm = i + 2 + used
        if b[nm:nm + 4] == name.encode():
            return i, i + 2 + plen
        i += 2


def method_span(b, start, end, name):
    """(MethodOp, NameSeg, body, end) of Method(name) inside [start, end)."""
    j = b.find(b"\x14", start)
    while 0 <= j < end:
        plen, used = pkg_length(b, j + 1)
        nm = j + 1 + used
        if b[nm:nm + 4] == name.encode():
            return j, nm, nm + 5, j + 1 + plen
        j = b.find(b"\x14", j + 1)
    raise SystemExit("method %s not found" % name)


def patch_madt(b, variant):
    if variant == "flags09":
        o = gicc_by_uid(b, 2)
        f = struct.unpack_from("<I", b, o + 12)[0]
        struct.pack_into("<I", b, o + 12, f | 1)
        log("APIC: GICC UID 2 @%d Flags 0x%x -> 0x%x" % (o + 12, f, f | 1))
    elif variant == "dupmpidr":
        o2, o3 = gicc_by_uid(b, 2), gicc_by_uid(b, 3)
        m2, m3 = struct.unpack_from("<Q", b, o2 + 68)[0], struct.unpack_from("<Q", b, o3 + 68)[0]
        struct.pack_into("<Q", b, o3 + 68, m2)
        log("APIC: GICC UID 3 @%d MPIDR 0x%x -> 0x%x (= GICC UID 2's)" % (o3 + 68, m3, m2))
    elif variant == "gicrshort":
        (o,) = list(madt_entries(b, GICR_TYPE))
        old = struct.unpack_from("<I", b, o + 12)[0]
        new = 2 * GICR_REDIST_SIZE
        assert old > new, "the GICR range is already short"
        struct.pack_into("<I", b, o + 12, new)
        log("APIC: GICR @%d Discovery Range Length 0x%x -> 0x%x (%d -> %d redistributors of 0x%x)"
            % (o + 12, old, new, old // GICR_REDIST_SIZE, new // GICR_REDIST_SIZE, GICR_REDIST_SIZE))
    return b


def patch_pptt(b, variant):
    if variant != "ppttnocpu2":
        return b
    off = PPTT_HEADER_LEN
    while off < len(b):
        t, n = b[off], b[off + 1]
        if t == PPTT_PROCESSOR_TYPE:
            flags, parent, acpi_id = struct.unpack_from("<III", b, off + 4)
            if flags & 0x8 and acpi_id == 2:          # Node Is A Leaf
                nb = b[:off] + b[off + n:]
                struct.pack_into("<I", nb, 4, len(nb))
                log("PPTT: leaf node @0x%x (%d bytes, Flags 0x%x, Parent 0x%x, ACPI Processor ID 2) removed; "
                    "Length %d -> %d" % (off, n, flags, parent, len(b), len(nb)))
                return nb
        off += n
    raise SystemExit("no PPTT leaf with ACPI Processor ID 2")


def patch_dsdt(b, variant):
    if variant in ("nosta", "sta0", "noej0"):
        s, e = dev_span(b, "C002")
        meth = "_EJ0" if variant == "noej0" else "_STA"
        j, nm, body, mend = method_span(b, s, e, meth)
        if variant in ("nosta", "noej0"):
            b[nm:nm + 4] = b"X" + meth[1:].encode()
            log("DSDT: Device C002 (bytes %d-%d): method NameSeg @%d '%s' -> 'X%s'" % (s, e, nm, meth, meth[1:]))
        else:
            oldbody = bytes(b[body:mend])
            new = b"\xa4\x00" + b"\xa3" * (len(oldbody) - 2)
            b[body:mend] = new
            log("DSDT: Device C002: _STA body @%d-%d %s -> %s (Return (Zero), Noop padding)"
                % (body, mend, oldbody.hex(), new.hex()))
    elif variant == "uidnogicc":
        s, e = dev_span(b, "C002")
        old = b"\x08_UID\x0a\x02"                 # NameOp _UID BytePrefix 0x02
        k = b.find(old, s, e)
        assert k >= 0, "Name (_UID, 0x02) not found in C002"
        b[k + len(old) - 1] = UNKNOWN_UID
        log("DSDT: Device C002: Name (_UID, 0x02) @%d -> Name (_UID, 0x%02X) (no GICC has that UID)"
            % (k, UNKNOWN_UID))
    return b


def main():
    a = sys.argv[1:]
    variant, check_dir = "plain", None
    if "--variant" in a:
        k = a.index("--variant"); variant = a[k + 1]; del a[k:k + 2]
    if "--check-dir" in a:
        k = a.index("--check-dir"); check_dir = a[k + 1]; del a[k:k + 2]
    if variant not in VARIANTS or len(a) != 3:
        raise SystemExit(__doc__ + "\nvariants: " + ", ".join(VARIANTS))
    ours_d, q_d, out = a
    dst = os.path.join(out, "kernel", "firmware", "acpi")
    os.makedirs(dst, exist_ok=True)
    res = {}
    for sig, patch in (("APIC", patch_madt), ("PPTT", patch_pptt), ("DSDT", patch_dsdt)):
        ours = open(find(ours_d, sig), "rb").read()
        ref = open(find(q_d, sig), "rb").read()
        b = patch(hdr_patch(sig, ours, ref), variant)
        b = csum(b)
        log("%s: Checksum @9 -> 0x%02x, length %d" % (sig, b[9], len(b)))
        open(os.path.join(dst, sig + ".aml"), "wb").write(b)
        res[sig] = b
    open(os.path.join(out, "CHANGES.txt"), "w").write("\n".join(LOG) + "\n")
    if check_dir:
        os.makedirs(check_dir, exist_ok=True)
        for n in os.listdir(q_d):
            base = n.split(".")[0]
            if base in ("APIC", "PPTT", "DSDT") or n.endswith((".dsl", ".txt", ".unpatched", ".log", ".raw", ".bin")):
                continue
            shutil.copy(os.path.join(q_d, n), os.path.join(check_dir, base + (".dat" if base != "DSDT" else ".aml")))
        for sig, b in res.items():
            open(os.path.join(check_dir, sig + (".aml" if sig == "DSDT" else ".dat")), "wb").write(b)


if __name__ == "__main__":
    main()
