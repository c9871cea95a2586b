#!/bin/bash
# Dump QEMU RFC V5's own ACPI tables for several -smp shapes, through fw_cfg under qtest
# (../shared/real-linux/fwcfg_dump.py: reads etc/acpi/tables, etc/acpi/rsdp and etc/table-loader,
# applies the loader's pointers relative to the start of the table blob and its checksums, and
# writes one file per table).
# usage: W=<rig work dir> FWCFG_DUMP=<fwcfg_dump.py> dump_tables.sh OUT_DIR
#   W holds qemu/build/qemu-system-aarch64 (branch virt-cpuhp-armv8/rfc-v5) and
#   efi/usr/share/qemu-efi-aarch64/QEMU_EFI.fd, as ../shared/real-linux/setup.sh builds them.
set -euo pipefail
W=${W:?set W to the rig work dir}; OUT=${1:?OUT_DIR}
FWCFG_DUMP=${FWCFG_DUMP:-/work/shared/real-linux/fwcfg_dump.py}
QEMU=$W/qemu/build/qemu-system-aarch64
BIOS=$W/efi/usr/share/qemu-efi-aarch64/QEMU_EFI.fd
dump() {  # name accel smp
  local name=$1 accel=$2 smp=$3 d=$OUT/$1
  mkdir -p "$d"
  local argv=("$QEMU" -accel "$accel" -machine virt,gic-version=3 -cpu cortex-a57 -m 1G -bios "$BIOS"
              -S -nodefaults -display none -monitor none -serial none -smp "$smp" -qtest stdio)
  python3 "$FWCFG_DUMP" "$d" -- "${argv[@]}" > /dev/null
  # keep the resolved tables and the listings; drop the pointer-unresolved copies and raw blobs
  rm -f "$d"/*.unpatched "$d"/etc_acpi_tables.raw "$d"/etc_table-loader.raw "$d"/etc_acpi_rsdp.raw
  printf '%s\n' "${argv[*]}" | sed "s|$W/|<rig>/|g" > "$d/command.txt"
  echo "$name: $(cat "$d/index.txt" | awk '{print $1}' | tr '\n' ' ')"
  grep -v "^\[[RSI] " "$d/qemu-stderr.log" > "$d/qemu-warnings.txt" || true  # drop the qtest protocol trace
  [ -s "$d/qemu-warnings.txt" ] && cat "$d/qemu-warnings.txt" || rm -f "$d/qemu-warnings.txt"
  rm -f "$d/qemu-stderr.log"
}
dump aarch64-virt-cpus2-maxcpus4           tcg   cpus=2,maxcpus=4
dump aarch64-virt-cpus2-maxcpus6           tcg   cpus=2,maxcpus=6
dump aarch64-virt-cpus1-maxcpus8           tcg   cpus=1,maxcpus=8
dump aarch64-virt-sockets2-cores2-cpus2    tcg   cpus=2,maxcpus=4,sockets=2,clusters=1,cores=2,threads=1
dump aarch64-virt-cpus4-maxcpus4           tcg   cpus=4,maxcpus=4
dump aarch64-virt-qtest-cpus2-maxcpus4     qtest cpus=2,maxcpus=4
dump aarch64-virt-tcg-single-cpus2-maxcpus4 tcg,thread=single cpus=2,maxcpus=4
