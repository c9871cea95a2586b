#!/bin/bash
# (the project's copy of ../shared/real-linux/run_all.sh: its own run_scenario.py, which also writes qmp.jsonl
# with every QMP message and host epoch times, and the four variants issue 12 added)
# Run every scenario. Environment (defaults relative to $W, the work dir):
#   W      work dir holding the built pieces (default: current dir)
#   QEMU   qemu-system-aarch64 of the RFC V5 branch   ($W/qemu/build/qemu-system-aarch64)
#   BIOS   QEMU_EFI.fd from qemu-efi-aarch64          ($W/efi/usr/share/qemu-efi-aarch64/QEMU_EFI.fd)
#   KERNEL vmlinuz >= 6.11 (arm64)                     ($W/kroot/boot/vmlinuz-*-arm64)
#   RUNS   output dir                                  ($W/runs)
# usage: run_all.sh [scenario...]   (default: all)
set -u
W=${W:-$PWD}; cd "$W"
S=$(dirname "$(readlink -f "$0")")
QEMU=${QEMU:-$W/qemu/build/qemu-system-aarch64}
BIOS=${BIOS:-$W/efi/usr/share/qemu-efi-aarch64/QEMU_EFI.fd}
KERNEL=${KERNEL:-$(ls $W/kroot/boot/vmlinuz-*-arm64 | head -1)}
RUNS=${RUNS:-$W/runs}
run() {  # name initrd core [extra args]
  local name=$1 initrd=$2 core=$3; shift 3
  echo "### $name: initrd=$initrd core(s)=$core $*"
  local t=$(date +%s)
  timeout 900 python3 "$S/run_scenario.py" --qemu "$QEMU" --bios "$BIOS" --kernel "$KERNEL" \
     --initrd "$initrd" --out "$RUNS/$name" --core "$core" "$@" > "$RUNS/$name.console" 2>&1
  echo "### $name: rc=$? wall=$(( $(date +%s) - t ))s"
}
mkdir -p "$RUNS"
want() { [ $# -eq 0 ] && return 0; return 1; }
ALL="qemu-tables ours-plain qemu-tables-2and3 ours-plain-2and3 ours-flags09 ours-flags09-core3 ours-dupmpidr ours-dupmpidr-core3 ours-nosta ours-sta0 ours-noej0 ours-uidnogicc ours-ppttnocpu2 ours-gicrshort qemu-tables-cpus1-maxcpus8 qemu-tables-sockets2 ours-flags09-replug ours-nosta-replug"
for sc in ${*:-$ALL}; do
  case $sc in
    qemu-tables)        run $sc initramfs.cpio.gz 2 --replug ;;
    ours-plain)         run $sc initrd-plain.img 2 --replug ;;
    qemu-tables-2and3)  run $sc initramfs.cpio.gz 2,3 ;;
    ours-plain-2and3)   run $sc initrd-plain.img 2,3 ;;
    ours-flags09)       run $sc initrd-flags09.img 2 ;;
    ours-flags09-core3) run $sc initrd-flags09.img 3 ;;
    ours-dupmpidr)      run $sc initrd-dupmpidr.img 2 ;;
    ours-dupmpidr-core3) run $sc initrd-dupmpidr.img 3 ;;
    ours-nosta)         run $sc initrd-nosta.img 2 ;;
    ours-sta0)          run $sc initrd-sta0.img 2 ;;
    ours-noej0)         run $sc initrd-noej0.img 2 ;;
    ours-uidnogicc)     run $sc initrd-uidnogicc.img 2 ;;
    ours-ppttnocpu2)    run $sc initrd-ppttnocpu2.img 2 ;;
    ours-gicrshort)     run $sc initrd-gicrshort.img 2 ;;
    ours-flags09-replug) run $sc initrd-flags09.img 2 --replug ;;
    ours-nosta-replug)  run $sc initrd-nosta.img 2 --replug ;;
    qemu-tables-cpus1-maxcpus8) run $sc initramfs.cpio.gz 5 --smp cpus=1,maxcpus=8 --replug ;;
    qemu-tables-sockets2) run $sc initramfs.cpio.gz 1:0 --smp cpus=2,maxcpus=4,sockets=2,clusters=1,cores=2,threads=1 --replug ;;
    *) echo "unknown scenario $sc" ;;
  esac
done
